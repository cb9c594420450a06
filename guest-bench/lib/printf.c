/*
 * A small printf for the freestanding guest: %d %i %u %x %p %s %c %% with l/ll/z
 * length, field width, zero padding and left alignment.  pg_printf formats into a
 * buffer and sends it to COM1 with one string OUT, so a line costs one VM exit.
 */
#include <stdarg.h>
#include "../user/user.h"

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void put_field(struct out *o, const char *s, size_t n, int width, int left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;

	if (!left)
		while (fill-- > 0)
			put(o, pad);
	while (n--)
		put(o, *s++);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

static size_t utoa(char *tmp, uint64_t v, unsigned base)
{
	size_t n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	for (size_t i = 0; i < n / 2; i++) {
		char t = tmp[i];
		tmp[i] = tmp[n - 1 - i];
		tmp[n - 1 - i] = t;
	}
	return n;
}

static uint64_t take_int(va_list *ap, int longs, int is_signed)
{
	if (longs)
		return is_signed ? (uint64_t)va_arg(*ap, long) : va_arg(*ap, unsigned long);
	return is_signed ? (uint64_t)(int64_t)va_arg(*ap, int) : va_arg(*ap, unsigned);
}

static int vformat(struct out *o, const char *fmt, va_list *ap)
{
	char tmp[24];

	for (; *fmt; fmt++) {
		int left = 0, width = 0, longs = 0;
		char pad = ' ';
		const char *s;
		uint64_t v;
		size_t n;

		if (*fmt != '%') {
			put(o, *fmt);
			continue;
		}
		if (*++fmt == '-')
			left = 1, fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			longs = 1, fmt++;
		switch (*fmt) {
		case 'd':
		case 'i':
			v = take_int(ap, longs, 1);
			n = 0;
			if ((int64_t)v < 0) {
				tmp[n++] = '-';
				v = -v;
			}
			n += utoa(tmp + n, v, 10);
			put_field(o, tmp, n, width, left, pad);
			break;
		case 'u':
		case 'x':
			v = take_int(ap, longs, 0);
			put_field(o, tmp, utoa(tmp, v, *fmt == 'x' ? 16 : 10), width, left, pad);
			break;
		case 'p':
			tmp[0] = '0', tmp[1] = 'x';
			n = 2 + utoa(tmp + 2, (uint64_t)va_arg(*ap, void *), 16);
			put_field(o, tmp, n, width, left, pad);
			break;
		case 's':
			s = va_arg(*ap, const char *);
			s = s ? s : "(null)";
			put_field(o, s, strlen(s), width, left, ' ');
			break;
		case 'c':
			tmp[0] = (char)va_arg(*ap, int);
			put_field(o, tmp, 1, width, left, ' ');
			break;
		case '%':
			put(o, '%');
			break;
		default:
			return -1;
		}
	}
	if (o->cap)
		o->buf[o->len < o->cap ? o->len : o->cap - 1] = 0;
	return (int)o->len;
}

int pg_snprintf(char *out, size_t cap, const char *fmt, ...)
{
	struct out o = { out, cap, 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(&o, fmt, &ap);
	va_end(ap);
	return n;
}

int pg_printf(const char *fmt, ...)
{
	char line[512];
	struct out o = { line, sizeof(line), 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(&o, fmt, &ap);
	va_end(ap);
	if (n > 0)
		outsb(PG_PORT_CONSOLE, line, o.len < sizeof(line) ? o.len : sizeof(line) - 1);
	return n;
}
