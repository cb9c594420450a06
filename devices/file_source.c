/*
 * The file-source device module: answers each operation with bytes read from a file
 * with io_uring (config: path=FILE, op=N, default 31).  Input: u64 length, u64 file
 * offset; output: that many bytes of the file from that offset (a short file is an
 * error).  Delivery is by copy: the transport scatters the host buffer into the guest's
 * pages afterwards.
 */
#include <fcntl.h>
#include <string.h>
#include "device_abi.h"
#include "file_io.h"

static uint32_t ops[1] = { 31 };

static int source_init(const struct pg_device_config *cfg, void **state, char *err, size_t cap)
{
	return file_dev_init(cfg, state, err, cap, O_RDONLY | O_CLOEXEC, &ops[0]);
}

static int source_execute(void *state, uint32_t op, const uint8_t *in, uint64_t len, struct pg_device_output *out)
{
	struct file_dev *d = state;
	uint64_t req[2];
	uint8_t *dst;

	(void)op;
	if (len != sizeof(req))
		return -1;
	memcpy(req, in, sizeof(req));
	dst = out->reserve(out, req[0]);
	return dst && file_io_all(&d->ring, d->fd, dst, req[0], req[1], 0) == 0 ? 0 : -1;
}

static const struct pg_device file_source = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "file-source",
	.nr_ops = 1,
	.ops = ops,
	.init = source_init,
	.execute = source_execute,
	.teardown = file_dev_teardown,
};
PG_DEVICE_EXPORT(file_source, file_source)
