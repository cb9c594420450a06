/*
 * What the file devices share: their state (a file and an io_uring), configuration
 * (path=FILE, op=N), and whole-buffer reads and writes of any length in chunks the
 * kernel accepts, resubmitting after short transfers.  Header-only so each module stays
 * one shared object.
 */
#ifndef PG_FILE_IO_H
#define PG_FILE_IO_H

#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "device_abi.h"

#define FILE_IO_CHUNK (1u << 30)

/* Write (or read, if !write) len bytes at file offset off; 0 or -errno. */
static inline int file_io_all(struct io_uring *ring, int fd, uint8_t *buf, uint64_t len, uint64_t off, int write)
{
	while (len) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		struct io_uring_cqe *cqe;
		unsigned n = len < FILE_IO_CHUNK ? (unsigned)len : FILE_IO_CHUNK;
		int res;

		if (!sqe)
			return -16; /* EBUSY: the ring is full, which one request at a time cannot be */
		if (write)
			io_uring_prep_write(sqe, fd, buf, n, off);
		else
			io_uring_prep_read(sqe, fd, buf, n, off);
		res = io_uring_submit_and_wait(ring, 1);
		if (res < 0)
			return res;
		res = io_uring_wait_cqe(ring, &cqe);
		if (res < 0)
			return res;
		res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		if (res <= 0)
			return res < 0 ? res : -5; /* EIO: end of file before len bytes */
		buf += res;
		off += (uint64_t)res;
		len -= (uint64_t)res;
	}
	return 0;
}

struct file_dev {
	struct io_uring ring;
	int fd;
};

/* path= and op= from the configuration; the file opened with `flags`. */
static inline int file_dev_init(const struct pg_device_config *cfg, void **state, char *err, size_t cap, int flags,
			 uint32_t *op)
{
	struct file_dev *d = calloc(1, sizeof(*d));
	const char *path = NULL;

	for (int i = 0; i < cfg->n; i++) {
		char *end;
		unsigned long v = strtoul(cfg->values[i], &end, 10);

		if (!strcmp(cfg->keys[i], "path"))
			path = cfg->values[i];
		else if (!strcmp(cfg->keys[i], "op") && !*end && v && v <= PG_DEVICE_MAX_OP)
			*op = (uint32_t)v;
		else {
			snprintf(err, cap, "unknown key or bad value '%s=%s' (path=FILE, op=1..63)", cfg->keys[i],
				 cfg->values[i]);
			free(d);
			return -1;
		}
	}
	if (!path) {
		snprintf(err, cap, "needs path=FILE");
		free(d);
		return -1;
	}
	d->fd = open(path, flags, 0644);
	if (d->fd < 0 || io_uring_queue_init(4, &d->ring, 0)) {
		snprintf(err, cap, "cannot open %s or set up io_uring", path);
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static inline void file_dev_teardown(void *state)
{
	struct file_dev *d = state;

	io_uring_queue_exit(&d->ring);
	close(d->fd);
	free(d);
}

#endif
