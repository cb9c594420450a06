/*
 * Device modules: a module is loaded, configured and serves its operation (directly and,
 * on KVM, for guest transfers through every transport, byte for byte); the io_uring file
 * devices store exactly what the guest sent and hand back exactly the file; broken modules —
 * missing file, missing entry symbol, another ABI version, a taken operation id, a bad
 * configuration key, a bad configuration-file line — stop pagegate with exit status 2 and
 * one line naming the module, before any guest starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>
#include "../devices/registry.h"
#include "../harness/session.h"
#include "../transports/basic/basic.h"
#include "../transports/extended/extended.h"
#include "../transports/ptcopy/ptcopy.h"
#include "testlib.h"
#include "x86.h"

static bool kvm_usable;

static int run(char *out, size_t cap, const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s/pagegate %s selftest", test_build_dir(), args);
	return test_capture(cmd, out, cap);
}

static void expect_refused(const char *args, const char *message)
{
	char out[2048];
	int rc = run(out, sizeof(out), args);

	if (rc != 2 || !strstr(out, message) || strchr(out, '\n') != out + strlen(out) - 1)
		fail_msg("'pagegate %s': exit %d, output \"%s\"; wanted exit 2 and one line with \"%s\"", args, rc, out,
			 message);
}

static void test_broken_modules_are_refused(void **state)
{
	char args[512], cfg[300];
	const char *b = test_build_dir();
	FILE *f;

	(void)state;
	snprintf(args, sizeof(args), "--device gone=%s/devices/missing.so", b);
	expect_refused(args, "device gone: ");
	snprintf(args, sizeof(args), "--device nosym=%s/test-modules/no_entry.so", b);
	expect_refused(args, "device nosym: no pg_device_entry() in the module");
	snprintf(args, sizeof(args), "--device old=%s/test-modules/bad_abi.so", b);
	expect_refused(args, "device old: ABI version 3, pagegate speaks 2");
	snprintf(args, sizeof(args), "--device twin=%s/test-modules/dup_op.so", b);
	expect_refused(args, "device twin: operation id 2 is taken by echo");
	snprintf(args, sizeof(args), "--device sk=%s/devices/skeleton.so,colour=red", b);
	expect_refused(args, "device sk: skeleton: unknown key or bad value 'colour=red'");
	snprintf(args, sizeof(args), "--device sk=%s/devices/skeleton.so --device sk2=%s/devices/skeleton.so", b, b);
	expect_refused(args, "device sk2: operation id 10 is taken by sk");
	snprintf(cfg, sizeof(cfg), "%s/test-devices.conf", b);
	f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f, "# devices\ndevice sk=%s/devices/skeleton.so,op=11\nmodule oops\n", b);
	fclose(f);
	snprintf(args, sizeof(args), "--config %s", cfg);
	expect_refused(args, "test-devices.conf:3: expected 'device NAME=PATH[,key=value...]'");
}

static uint8_t *reserve(struct pg_device_output *out, uint64_t len)
{
	static uint8_t buf[64];

	(void)out;
	return len <= sizeof(buf) ? buf : NULL;
}

static void test_module_serves_its_op(void **state)
{
	char spec[300], err[512];
	struct pg_device_output out = { reserve, NULL, NULL };
	uint8_t bytes[65] = "abcdefgh";
	struct iovec two[2] = { { bytes, 3 }, { bytes + 3, 2 } }, big = { bytes, 65 };
	struct pg_device_input in = { two, 2, 5 }, too_big = { &big, 1, 65 };

	(void)state;
	snprintf(spec, sizeof(spec), "copy=%s/devices/skeleton.so,op=17", test_build_dir());
	assert_int_equal(devices_add_builtins(err, sizeof(err)), 0);
	if (devices_load(spec, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(devices_serve(17));
	assert_string_equal(devices_name(17), "copy");
	assert_int_equal(devices_execute(17, &in, &out), 0); /* the two segments, gathered */
	assert_memory_equal(reserve(&out, 1), "abcde", 5);
	assert_int_equal(devices_execute(17, &too_big, &out), -1); /* output larger than allowed */
	assert_int_equal(devices_execute(18, &in, &out), -2);      /* nobody serves 18 */
	assert_false(devices_can_fill(17));
	assert_true(devices_can_fill(PG_OP_PATTERN));
	assert_true(devices_serve(PG_OP_ECHO) && devices_serve(PG_OP_SINK) && devices_serve(PG_OP_PATTERN));
}

/* Cut buf into segments of pseudo-random lengths from 0 to max (the last takes the rest). */
static uint32_t cut(uint8_t *buf, uint64_t len, struct iovec *iov, uint32_t cap, uint64_t seed, uint64_t max)
{
	uint32_t n = 0;

	for (uint64_t at = 0; at < len; n++) {
		uint64_t k = n == cap - 1 ? len - at : pg_pattern_word(seed, n) % (max + 1);

		k = k < len - at ? k : len - at;
		iov[n] = (struct iovec){ buf + at, k };
		at += k;
	}
	return n;
}

/* The segment helpers every device uses agree with one contiguous buffer: the checksum
 * (words straddling segments), reads at any offset, fills from parts at any offset. */
static void test_segment_helpers(void **state)
{
	enum { LEN = 10007 };
	static uint8_t buf[LEN], got[LEN], part_a[100], part_b[LEN - 100];
	struct iovec iov[4096];
	const uint8_t *parts[2] = { part_a, part_b };
	const uint64_t part_len[2] = { sizeof(part_a), sizeof(part_b) };

	(void)state;
	pg_pattern_fill(buf, 0, LEN, 9);
	for (uint64_t seed = 1; seed <= 40; seed++) {
		uint64_t len = LEN - seed * 13, from = seed * 7;
		uint32_t n = cut(buf, len, iov, 4096, seed, seed % 3 ? 13 : 4100);
		struct pg_device_input in = { iov, n, len };

		assert_int_equal(pg_input_checksum(&in), pg_checksum(PG_CHECKSUM_INIT, buf, len));
		assert_int_equal(pg_input_read(&in, from, got, len - from), 0);
		assert_memory_equal(got, buf + from, len - from);
		assert_int_equal(pg_input_read(&in, from, got, len - from + 1), -1);
	}
	memcpy(part_a, buf, sizeof(part_a));
	memcpy(part_b, buf + sizeof(part_a), sizeof(part_b));
	for (uint64_t seed = 1; seed <= 40; seed++) {
		uint64_t offset = seed * 97, len = LEN - offset;
		uint32_t n = cut(got, len, iov, 4096, seed + 100, seed % 2 ? 17 : 5000);

		memset(got, 0, sizeof(got));
		assert_int_equal(pg_iov_fill_from(iov, n, offset, parts, part_len, 2), 0);
		assert_memory_equal(got, buf + offset, len);
		iov[n - 1].iov_len++; /* one byte more than the parts hold */
		assert_int_equal(pg_iov_fill_from(iov, n, offset, parts, part_len, 2), -1);
	}
}

/* The guest calls op 17 (the module loaded above) through every transport. */
static void test_guest_transfers_through_a_module(void **state)
{
	static const unsigned ids[] = { BASIC_ID, EXTENDED_ID, PTCOPY_ID };
	static const uint64_t sizes[] = { 1, 4097, (1 << 20) + 3 };
	struct vm_config cfg = { .mem_bytes = 256ull << 20, .guest_path = test_guest_path(), .quiet = true };
	struct pg_cmd cmds[9];
	struct transfer_result res[9];
	char why[1200];
	int n = 0;

	(void)state;
	if (!kvm_usable)
		skip();
	cfg.params.buf_page_shift = PAGE_SHIFT_4K;
	for (int t = 0; t < 3; t++)
		for (int s = 0; s < 3; s++)
			cmds[n++] = (struct pg_cmd){ .kind = PG_CMD_CALL, .transport = ids[t], .bytes = sizes[s], .offset = 7,
						     .page_shift = PAGE_SHIFT_4K, .frame_policy = 1, .op = 17,
						     .data_seed = (uint64_t)n };
	if (session_run(&cfg, NULL, cmds, (size_t)n, res, why, sizeof(why), NULL) != VM_DONE)
		fail_msg("%s", why);
	for (int i = 0; i < n; i++)
		if (!res[i].done || res[i].guest.status != PG_DB_OK)
			fail_msg("transfer %d (transport %u, %llu bytes): status %llu, first bad byte %lld", i,
				 cmds[i].transport, (unsigned long long)cmds[i].bytes, (unsigned long long)res[i].guest.status,
				 (long long)res[i].guest.bad_offset);
}

struct file_check {
	char path[300];
	int checked, bad;
};

/* After each SEND through file-sink: the file must hold exactly the guest's bytes; and
 * the host copied every byte of a transfer (copy delivery) or none (iov). */
static void check_file(const struct transfer_result *r, size_t index, void *ctx)
{
	struct file_check *fc = ctx;
	FILE *f;
	uint8_t *buf;
	size_t n;

	(void)index;
	fc->bad += r->t.copied != (r->cmd.delivery == DELIVER_IOV ? 0 : r->cmd.bytes); /* zero host copies with iov */
	if (r->cmd.kind != PG_CMD_SEND)
		return;
	buf = malloc(r->cmd.bytes + 1);
	f = fopen(fc->path, "rb");
	n = f ? fread(buf, 1, r->cmd.bytes + 1, f) : 0;
	if (f)
		fclose(f);
	fc->checked++;
	fc->bad += n != r->cmd.bytes || pg_pattern_check(buf, 0, n, r->cmd.data_seed) != n;
	free(buf);
}

/* file-sink (op 30) and file-source (op 31) through every transport, odd sizes, copy and
 * iov delivery (writev from / readv into the guest's pages): the file equals what the
 * guest sent; what the guest receives equals the file. */
static void test_file_sink_and_source(void **state)
{
	static const unsigned ids[] = { BASIC_ID, EXTENDED_ID, PTCOPY_ID };
	static const uint64_t sizes[] = { 1, 4097, (4 << 20) + 1, 9 << 20 };
	struct vm_config cfg = { .mem_bytes = 512ull << 20, .guest_path = test_guest_path(), .quiet = true };
	struct file_check fc = { 0 };
	struct session_options opt = { .timing = true, .on_result = check_file, .ctx = &fc };
	struct pg_cmd cmds[48];
	struct transfer_result res[48];
	char spec[700], err[800], source[300], why[1200];
	uint8_t *pattern;
	FILE *f;
	int n = 0;

	(void)state;
	if (!kvm_usable) /* before anything is taken: skip() leaves the function */
		skip();
	pattern = malloc(9 << 20);
	snprintf(fc.path, sizeof(fc.path), "%s/test-file-sink.bin", test_build_dir());
	snprintf(source, sizeof(source), "%s/test-file-source.bin", test_build_dir());
	pg_pattern_fill(pattern, 0, 9 << 20, 0);
	f = fopen(source, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(pattern, 1, 9 << 20, f), 9 << 20);
	fclose(f);
	free(pattern);
	snprintf(spec, sizeof(spec), "fsink=%s/devices/file_sink.so,path=%s", test_build_dir(), fc.path);
	if (devices_serve(30) == false && devices_load(spec, err, sizeof(err)))
		fail_msg("%s", err);
	snprintf(spec, sizeof(spec), "fsource=%s/devices/file_source.so,path=%s", test_build_dir(), source);
	if (devices_serve(31) == false && devices_load(spec, err, sizeof(err)))
		fail_msg("%s", err);
	cfg.params.buf_page_shift = PAGE_SHIFT_4K;
	for (unsigned d = DELIVER_COPY; d <= DELIVER_IOV; d++)
		for (int t = 0; t < 3; t++)
			for (int s = 0; s < 4; s++) {
				cmds[n++] = (struct pg_cmd){ .kind = PG_CMD_SEND, .transport = ids[t], .bytes = sizes[s],
							     .offset = 5, .page_shift = PAGE_SHIFT_4K, .frame_policy = 1,
							     .op = 30, .delivery = d, .data_seed = 100 + (uint64_t)n };
				cmds[n++] = (struct pg_cmd){ .kind = PG_CMD_RECV, .transport = ids[t], .bytes = sizes[s],
							     .offset = 9, .page_shift = PAGE_SHIFT_4K, .frame_policy = 1,
							     .op = 31, .delivery = d, .data_seed = 0 /* = the file offset */ };
			}
	if (session_run(&cfg, &opt, cmds, (size_t)n, res, why, sizeof(why), NULL) != VM_DONE)
		fail_msg("%s", why);
	for (int i = 0; i < n; i++)
		if (!res[i].done || res[i].guest.status != PG_DB_OK)
			fail_msg("transfer %d (%s, transport %u, %llu bytes, %s delivery): status %llu", i,
				 cmds[i].kind == PG_CMD_SEND ? "file-sink" : "file-source", cmds[i].transport,
				 (unsigned long long)cmds[i].bytes, cmds[i].delivery ? "iov" : "copy",
				 (unsigned long long)res[i].guest.status);
	assert_int_equal(fc.checked, 24);
	assert_int_equal(fc.bad, 0);
}

/* A short camera run, copy and iov delivery: every frame's checksum right (the command
 * fails otherwise), every frame a row of the bench-format dataset with status 0, one
 * summary row and one streams.csv line per stream, the latency CDF drawn; the ring too. */
static void test_camera_scenario(void **state)
{
	char cmd[1200], out[4096], dir[300];
	struct csv *rows, *summary, *streams;
	struct kvm_platform p;
	int rc;

	(void)state;
	if (!kvm_usable)
		skip();
	snprintf(dir, sizeof(dir), "%s/test-camera", test_build_dir());
	snprintf(cmd, sizeof(cmd),
		 "rm -rf %s && %s/pagegate --mem 256M camera --transport basic,ptcopy,ring --delivery copy,iov --preset 720p "
		 "--fps 30 --seconds 1 --out %s", dir, test_build_dir(), dir);
	rc = test_capture(cmd, out, sizeof(out));
	if (rc != 0 || !strstr(out, "720p     basic      copy") || !strstr(out, "720p     ptcopy     iov") ||
	    !strstr(out, "720p     ring       iov"))
		fail_msg("camera run failed (%d): %s", rc, out);
	rows = test_read_csv(dir, "results.csv");
	summary = test_read_csv(dir, "summary.csv");
	streams = test_read_csv(dir, "streams.csv");
	kvm_platform_probe(&p);
	/* six streams of ~30 frames; an emulated CPU is too slow for basic to keep up */
	assert_true(rows->nrows > (p.emulated ? 6 : 6 * 20));
	for (size_t r = 0; r < rows->nrows; r++) {
		bool ring = !strcmp(csv_get(rows, r, "transport"), "ring");

		assert_string_equal(csv_get(rows, r, "status"), "0");
		assert_string_equal(csv_get(rows, r, "direction"), "camera");
		assert_true(csv_num(rows, r, "bytes") == 32 + 1280 * 720 * 2);
		/* doorbells: the request, EXECUTE, RECEIVE; the ring: one request, no exit */
		assert_true(ring ? csv_num(rows, r, "doorbells") == 0 : csv_num(rows, r, "doorbells") >= 3);
	}
	assert_int_equal(summary->nrows, 6);
	assert_int_equal(streams->nrows, 6);
	csv_free(rows);
	csv_free(summary);
	csv_free(streams);
	snprintf(cmd, sizeof(cmd), "%s/meta.json", dir);
	assert_int_equal(access(cmd, R_OK), 0);
	snprintf(cmd, sizeof(cmd), "%s/figures/camera-720p.png", dir);
	if (p.emulated) /* latencies not measured: no figure, and the run says so */
		assert_non_null(strstr(out, "camera 720p: no latency CDF: latencies not measured"));
	else
		assert_int_equal(access(cmd, R_OK), 0);
}

static int setup(void **state)
{
	(void)state;
	kvm_usable = test_kvm_usable("test_devices");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broken_modules_are_refused),
		cmocka_unit_test(test_module_serves_its_op),
		cmocka_unit_test(test_segment_helpers),
		cmocka_unit_test(test_guest_transfers_through_a_module),
		cmocka_unit_test(test_file_sink_and_source),
		cmocka_unit_test(test_camera_scenario),
	};

	return cmocka_run_group_tests_name("devices", tests, setup, NULL);
}
