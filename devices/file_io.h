/*
 * What the file devices share: their state (a file and an io_uring), configuration
 * (path=FILE, op=N), and vectored reads and writes of any number of segments — the
 * guest's own pages with iov delivery, one host buffer with copy delivery — in requests
 * the kernel accepts, resubmitting after short transfers.  Header-only so each module stays
 * one shared object.
 */
#ifndef PG_FILE_IO_H
#define PG_FILE_IO_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "device_abi.h"

/* Write (or read, if !write) the n segments, laid end to end, at file offset off, with
 * io_uring writev/readv requests of at most IOV_MAX segments, resubmitting after short
 * transfers; 0 or -errno (-EIO: end of file before the segments were full). */
static inline int file_io_vec(struct io_uring *ring, int fd, const struct iovec *iov, uint64_t n, uint64_t off,
			      int write)
{
	struct iovec batch[IOV_MAX];
	uint64_t done = 0; /* bytes of iov[0] already transferred */

	while (n && iov[0].iov_len == 0)
		iov++, n--;
	while (n) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		struct io_uring_cqe *cqe;
		unsigned k = 0;
		int res;

		if (!sqe)
			return -EBUSY; /* the ring is full, which one request at a time cannot be */
		for (; k < n && k < IOV_MAX; k++)
			batch[k] = iov[k];
		batch[0].iov_base = (uint8_t *)batch[0].iov_base + done;
		batch[0].iov_len -= done;
		if (write)
			io_uring_prep_writev(sqe, fd, batch, k, off);
		else
			io_uring_prep_readv(sqe, fd, batch, k, off);
		res = io_uring_submit_and_wait(ring, 1);
		if (res < 0)
			return res;
		res = io_uring_wait_cqe(ring, &cqe);
		if (res < 0)
			return res;
		res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		if (res <= 0)
			return res < 0 ? res : -EIO;
		off += (uint64_t)res;
		for (uint64_t left = (uint64_t)res; left;) { /* res <= the batch's bytes */
			uint64_t rest = iov[0].iov_len - done;

			if (left < rest) {
				done += left;
				break;
			}
			left -= rest;
			iov++, n--, done = 0;
		}
		while (n && iov[0].iov_len == done)
			iov++, n--, done = 0;
	}
	return 0;
}

struct file_dev {
	struct io_uring ring;
	int fd;
	uint64_t len, offset; /* file-source: the last request */
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
