/*
 * The file-source device module: answers each operation with bytes read from a file
 * with io_uring (config: path=FILE, op=N, default 31).  Input: u64 length, u64 file
 * offset; output: that many bytes of the file from that offset (a short file is an
 * error).  With iov delivery the output is deferred and read with readv straight into
 * the guest's pages as it receives; with copy delivery it is read into the transport's
 * host buffer first.
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

static int source_execute(void *state, uint32_t op, const struct pg_device_input *in, struct pg_device_output *out)
{
	struct file_dev *d = state;
	uint64_t req[2];
	struct iovec dst;

	(void)op;
	if (in->len != sizeof(req) || pg_input_read(in, 0, req, sizeof(req)) || req[1] + req[0] < req[1])
		return -1;
	d->len = req[0];
	d->offset = req[1];
	if (out->defer)
		return out->defer(out, d->len);
	dst.iov_base = out->reserve(out, d->len);
	dst.iov_len = d->len;
	return dst.iov_base && file_io_vec(&d->ring, d->fd, &dst, 1, d->offset, 0) == 0 ? 0 : -1;
}

static int source_fill(void *state, uint32_t op, uint64_t offset, const struct iovec *iov, uint32_t n)
{
	struct file_dev *d = state;
	uint64_t total = 0;

	(void)op;
	for (uint32_t i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (offset > d->len || total > d->len - offset)
		return -1;
	return file_io_vec(&d->ring, d->fd, iov, n, d->offset + offset, 0) ? -1 : 0;
}

static const struct pg_device file_source = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "file-source",
	.nr_ops = 1,
	.ops = ops,
	.init = source_init,
	.execute = source_execute,
	.fill = source_fill,
	.teardown = file_dev_teardown,
};
PG_DEVICE_EXPORT(file_source, file_source)
