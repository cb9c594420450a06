/*
 * The file-sink device module: writes each operation's input to a file with io_uring
 * (config: path=FILE, op=N, default 30) and answers with the input's 8-byte checksum, so
 * the guest checks delivery and the file can be compared with what the guest sent.  Each
 * EXECUTE replaces the file's contents.  The input's segments go to writev as they are:
 * with iov delivery straight from the guest's pages, with copy delivery from the
 * transport's host buffer.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "device_abi.h"
#include "file_io.h"

static uint32_t ops[1] = { 30 };

static int sink_init(const struct pg_device_config *cfg, void **state, char *err, size_t cap)
{
	return file_dev_init(cfg, state, err, cap, O_WRONLY | O_CREAT | O_CLOEXEC, &ops[0]);
}

static int sink_execute(void *state, uint32_t op, const struct pg_device_input *in, struct pg_device_output *out)
{
	struct file_dev *d = state;
	uint64_t sum = pg_input_checksum(in);
	uint8_t *dst;

	(void)op;
	if (ftruncate(d->fd, 0) || file_io_vec(&d->ring, d->fd, in->iov, in->n, 0, 1))
		return -1;
	dst = out->reserve(out, sizeof(sum));
	if (!dst)
		return -1;
	memcpy(dst, &sum, sizeof(sum));
	return 0;
}

static const struct pg_device file_sink = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "file-sink",
	.nr_ops = 1,
	.ops = ops,
	.init = sink_init,
	.execute = sink_execute,
	.teardown = file_dev_teardown,
};
PG_DEVICE_EXPORT(file_sink, file_sink)
