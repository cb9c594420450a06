/*
 * The camera device module (thesis chapter 9's test device): frames of a synthetic
 * moving test pattern at a preset resolution and pixel format.  Config: preset=720p |
 * 1080p | 2160p, format=yuyv | nv12, op=N (default 40).  Op N: answer the frame the host
 * last made ready — a 32-byte header (u64 sequence number, u64 checksum of the payload,
 * u32 width, u32 height, u32 format) and the payload.  Op N+1 (the host's camera driver):
 * input u64 sequence number, "this frame is ready now".  Four frames are rendered at
 * init and served in turn, so serving one costs a copy, as a real camera's DMA buffer
 * would: with iov delivery that copy goes straight into the guest's pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "device_abi.h"

#define SLOTS 4

struct frame_header {
	uint64_t seq, checksum;
	uint32_t width, height, format, reserved;
};

struct camera {
	uint32_t width, height, format; /* format: 0 YUYV 4:2:2, 1 NV12 */
	uint64_t payload;
	uint8_t *slot[SLOTS];
	uint64_t sum[SLOTS];
	uint64_t ready;
	struct frame_header served; /* the frame the last EXECUTE answered */
	const uint8_t *served_slot;
};

static uint32_t ops[2] = { 40, 41 };

/* A gradient that moves 8 pixels per frame: every byte depends on position and frame. */
static void render(uint8_t *p, uint64_t len, uint32_t width, unsigned frame)
{
	uint64_t row = (uint64_t)width * 2;

	for (uint64_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i % row) / 2 + (i / row) + frame * 8);
}

static int camera_init(const struct pg_device_config *cfg, void **state, char *err, size_t cap)
{
	struct camera *c = calloc(1, sizeof(*c));

	c->width = 1920, c->height = 1080;
	for (int i = 0; i < cfg->n; i++) {
		const char *k = cfg->keys[i], *v = cfg->values[i];
		char *end;
		unsigned long op = strtoul(v, &end, 10);

		if (!strcmp(k, "preset") && (!strcmp(v, "720p") || !strcmp(v, "1080p") || !strcmp(v, "2160p"))) {
			c->width = v[0] == '7' ? 1280 : v[0] == '1' ? 1920 : 3840;
			c->height = v[0] == '7' ? 720 : v[0] == '1' ? 1080 : 2160;
		} else if (!strcmp(k, "format") && (!strcmp(v, "yuyv") || !strcmp(v, "nv12"))) {
			c->format = !strcmp(v, "nv12");
		} else if (!strcmp(k, "op") && !*end && op >= 1 && op < PG_DEVICE_MAX_OP) {
			ops[0] = (uint32_t)op, ops[1] = (uint32_t)op + 1;
		} else {
			snprintf(err, cap, "unknown key or bad value '%s=%s' (preset=720p|1080p|2160p, format=yuyv|nv12, op=N)",
				 k, v);
			free(c);
			return -1;
		}
	}
	c->payload = (uint64_t)c->width * c->height * (c->format ? 3 : 4) / 2;
	for (unsigned s = 0; s < SLOTS; s++) {
		c->slot[s] = malloc(c->payload);
		render(c->slot[s], c->payload, c->width, s);
		c->sum[s] = pg_checksum(PG_CHECKSUM_INIT, c->slot[s], c->payload);
	}
	*state = c;
	return 0;
}

static int camera_execute(void *state, uint32_t op, const struct pg_device_input *in, struct pg_device_output *out)
{
	struct camera *c = state;
	uint8_t *dst;

	if (op == ops[1]) { /* the driver: frame `seq` is ready */
		if (in->len != sizeof(c->ready) || pg_input_read(in, 0, &c->ready, sizeof(c->ready)) ||
		    !(dst = out->reserve(out, sizeof(c->ready))))
			return -1;
		memcpy(dst, &c->ready, sizeof(c->ready));
		return 0;
	}
	c->served = (struct frame_header){ c->ready, c->sum[c->ready % SLOTS], c->width, c->height, c->format, 0 };
	c->served_slot = c->slot[c->ready % SLOTS];
	if (out->defer)
		return out->defer(out, sizeof(c->served) + c->payload);
	dst = out->reserve(out, sizeof(c->served) + c->payload);
	if (!dst)
		return -1;
	memcpy(dst, &c->served, sizeof(c->served));
	memcpy(dst + sizeof(c->served), c->served_slot, c->payload);
	return 0;
}

/* iov delivery: the frame goes from its slot straight into the guest's pages. */
static int camera_fill(void *state, uint32_t op, uint64_t offset, const struct iovec *iov, uint32_t n)
{
	struct camera *c = state;
	const uint8_t *parts[2] = { (const uint8_t *)&c->served, c->served_slot };
	const uint64_t len[2] = { sizeof(c->served), c->payload };

	(void)op;
	return pg_iov_fill_from(iov, n, offset, parts, len, 2);
}

static void camera_teardown(void *state)
{
	struct camera *c = state;

	for (unsigned s = 0; s < SLOTS; s++)
		free(c->slot[s]);
	free(c);
}

static const struct pg_device camera = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "camera",
	.nr_ops = 2,
	.ops = ops,
	.init = camera_init,
	.execute = camera_execute,
	.fill = camera_fill,
	.teardown = camera_teardown,
};
PG_DEVICE_EXPORT(camera, camera)
