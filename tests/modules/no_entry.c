/* A shared object without pg_device_entry(): the loader must refuse it. */
int pagegate_not_a_device(void);
int pagegate_not_a_device(void)
{
	return 0;
}
