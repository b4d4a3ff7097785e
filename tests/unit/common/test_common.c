/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/common: big-endian helpers, checksum, IP addresses and headers, alignment, base64. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxp_align.h"
#include "mxp_base64.h"
#include "mxp_be.h"
#include "mxp_cksum.h"
#include "mxp_ip.h"
#include "mxp_secret_file.h"
#include "mxp_test.h"

MXP_TEST(big_endian)
{
	static const uint8_t b[9] = { 0x11, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	/* unaligned on purpose: b + 1 */
	MXP_CHECK_EQ(t, mxp_be_rd16(b + 1), 0x0102);
	MXP_CHECK_EQ(t, mxp_be_rd32(b + 1), 0x01020304u);
	MXP_CHECK_EQ(t, mxp_be_rd64(b + 1), 0x0102030405060708ull);
	uint8_t o[9] = { 0 };
	mxp_be_wr16(o + 1, 0xa1b2);
	MXP_CHECK(t, o[1] == 0xa1 && o[2] == 0xb2 && o[3] == 0);
	mxp_be_wr32(o + 1, 0xa1b2c3d4u);
	MXP_CHECK(t, o[1] == 0xa1 && o[2] == 0xb2 && o[3] == 0xc3 && o[4] == 0xd4 && o[5] == 0);
	mxp_be_wr64(o + 1, 0x0102030405060708ull);
	MXP_CHECK_MEM(t, o + 1, b + 1, 8);
	MXP_CHECK_EQ(t, mxp_be16(0x1234), htons(0x1234));
	MXP_CHECK_EQ(t, mxp_be32(0x12345678u), htonl(0x12345678u));
}

/* RFC 1071 section 4.1 as written: big-endian 16-bit words, an odd byte padded with zero. */
static uint16_t
naive_sum(const uint8_t *p, uint32_t len)
{
	uint32_t s = 0;
	for (uint32_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

MXP_TEST(checksum)
{
	uint8_t buf[300];
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	unsigned int bad = 0;
	for (uint32_t off = 0; off < 4; off++)
		for (uint32_t len = 0; len + off <= sizeof(buf); len++)
			bad += mxp_cksum_fold(mxp_cksum_add(0, buf + off, len)) !=
			       naive_sum(buf + off, len);
	MXP_CHECK_EQ(t, bad, 0);
	/* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
	static const uint8_t ex[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	MXP_CHECK_EQ(t, mxp_cksum_fold(mxp_cksum_add(0, ex, 8)), 0xddf2);
	/* the pseudo-header: the sum of the 12 bytes laid out as RFC 768 draws them */
	static const uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 198, 51, 100, 7 };
	uint8_t ph[12] = { 192, 0, 2, 1, 198, 51, 100, 7, 0, 17, 0x01, 0x23 };
	MXP_CHECK_EQ(t, mxp_cksum_fold(mxp_cksum_pseudo(src, dst, 4, 17, 0x123)),
		     naive_sum(ph, sizeof(ph)));
}

MXP_TEST(ip_header)
{
	/* A well-known worked example of the IPv4 header checksum (Wikipedia, "Internet
	 * checksum"): 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7. */
	static const uint8_t want4[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
					   0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
					   0xc0, 0xa8, 0x00, 0xc7 };
	struct mxp_ip s, d;
	MXP_CHECK_EQ(t, mxp_ip_parse("192.168.0.1", &s, NULL), 0);
	MXP_CHECK_EQ(t, mxp_ip_parse("192.168.0.199", &d, NULL), 0);
	uint8_t h[40];
	memset(h, 0xee, sizeof(h));
	MXP_CHECK_EQ(t, mxp_ip_hdr_write(h, &s, &d, 17, 64, 0, MXP_IP_DF, 0x73 - 20), 20);
	MXP_CHECK_MEM(t, h, want4, 20);
	MXP_CHECK_EQ(t, mxp_cksum_fold(mxp_cksum_add(0, h, 20)), 0xffff);
	/* no DF, a TOS, the checksum left out */
	mxp_ip_hdr_write(h, &s, &d, 50, 7, 0xb8, MXP_IP_NO_CKSUM, 100);
	MXP_CHECK(t, h[1] == 0xb8 && mxp_be_rd16(h + 2) == 120 && mxp_be_rd16(h + 6) == 0 &&
		     h[8] == 7 && h[9] == 50 && mxp_be_rd16(h + 10) == 0);

	MXP_CHECK_EQ(t, mxp_ip_parse("2001:db8::1", &s, NULL), 0);
	MXP_CHECK_EQ(t, mxp_ip_parse("ff02::1", &d, NULL), 0);
	memset(h, 0xee, sizeof(h));
	MXP_CHECK_EQ(t, mxp_ip_hdr_write(h, &s, &d, 58, 255, 0xb8, MXP_IP_DF, 32), 40);
	MXP_CHECK_EQ(t, mxp_be_rd32(h), 0x6b800000u); /* version 6, traffic class b8, flow 0 */
	MXP_CHECK(t, mxp_be_rd16(h + 4) == 32 && h[6] == 58 && h[7] == 255);
	MXP_CHECK_MEM(t, h + 8, s.v6, 16);
	MXP_CHECK_MEM(t, h + 24, d.v6, 16);
}

MXP_TEST(addresses)
{
	struct mxp_ip a, b;
	uint8_t plen = 0;
	char buf[MXP_IP_STRLEN];
	MXP_CHECK_EQ(t, mxp_ip_parse("192.0.2.1", &a, NULL), 0);
	MXP_CHECK(t, a.af == AF_INET && mxp_ip_len(&a) == 4 && mxp_ip_bytes(&a)[3] == 1);
	MXP_CHECK_STR(t, mxp_ip_format(&a, buf, sizeof(buf)), "192.0.2.1");
	MXP_CHECK_EQ(t, mxp_ip_parse("192.0.2.1/24", &a, NULL), -EINVAL); /* no prefix wanted */
	MXP_CHECK_EQ(t, mxp_ip_parse("2001:db8::7/64", &a, &plen), 0);
	MXP_CHECK(t, a.af == AF_INET6 && plen == 64 && mxp_ip_len(&a) == 16);
	MXP_CHECK_STR(t, mxp_ip_format(&a, buf, sizeof(buf)), "2001:db8::7");
	MXP_CHECK_EQ(t, mxp_ip_parse("2001:db8::9", &b, &plen), 0);
	MXP_CHECK(t, plen == 128 && !mxp_ip_equal(&a, &b) && mxp_ip_prefix_match(&a, &b, 64));
	b = mxp_ip_from_bytes(AF_INET6, a.v6);
	MXP_CHECK(t, mxp_ip_equal(&a, &b));
	MXP_CHECK_EQ(t, mxp_ip_parse("192.0.2.300", &a, NULL), -EINVAL);
	MXP_CHECK_EQ(t, mxp_ip_parse("", &a, NULL), -EINVAL);
	struct mxp_ip none = { 0 };
	MXP_CHECK_STR(t, mxp_ip_format(&none, buf, sizeof(buf)), "-");
}

MXP_TEST(address_and_port)
{
	struct mxp_ip a;
	uint16_t port = 0;
	char buf[MXP_IP_STRLEN + 8];
	MXP_CHECK_EQ(t, mxp_ip_port_parse("192.0.2.1:5004", &a, &port), 0);
	MXP_CHECK(t, a.af == AF_INET && port == 5004);
	MXP_CHECK_STR(t, mxp_ip_port_format(&a, port, buf, sizeof(buf)), "192.0.2.1:5004");
	MXP_CHECK_EQ(t, mxp_ip_port_parse("[2001:db8::1]:65535", &a, &port), 0);
	MXP_CHECK(t, a.af == AF_INET6 && port == 65535);
	MXP_CHECK_STR(t, mxp_ip_port_format(&a, port, buf, sizeof(buf)), "[2001:db8::1]:65535");
	static const char *const bad[] = { "192.0.2.1", "192.0.2.1:", "192.0.2.1:0",
					   "192.0.2.1:65536", "192.0.2.1:5x", "192.0.2.1:+5",
					   "2001:db8::1:5004", "[192.0.2.1]:5", "[2001:db8::1]5",
					   "[2001:db8::1", ":5", "[]:5", "host:5" };
	for (size_t i = 0; i < MXP_NCASES(bad); i++)
		MXP_CHECK_EQ(t, mxp_ip_port_parse(bad[i], &a, &port), -EINVAL);
}

MXP_TEST(align)
{
	unsigned int bad = 0;
	for (uint32_t x = 0; x < 70000; x++) {
		uint32_t p = 1;
		while (p < x)
			p <<= 1;
		bad += mxp_align32pow2(x) != p;
	}
	MXP_CHECK_EQ(t, bad, 0);
	MXP_CHECK_EQ(t, mxp_align32pow2(0x80000000u), 0x80000000u);
	MXP_CHECK_EQ(t, mxp_align32pow2(0x40000001u), 0x80000000u);
	MXP_CHECK_EQ(t, MXP_ALIGN_CEIL((size_t)0, 64), 0);
	MXP_CHECK_EQ(t, MXP_ALIGN_CEIL((size_t)1, 64), 64);
	MXP_CHECK_EQ(t, MXP_ALIGN_CEIL((size_t)64, 64), 64);
	MXP_CHECK_EQ(t, MXP_ALIGN_CEIL((size_t)65, 8), 72);
}

MXP_TEST(base64)
{
	/* RFC 4648 section 10 */
	static const char *const v[][2] = { { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
					    { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
					    { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } };
	for (size_t i = 0; i < MXP_NCASES(v); i++) {
		char enc[16];
		uint8_t dec[16];
		size_t n = strlen(v[i][0]);
		MXP_CHECK_EQ(t, mxp_base64_encode((const uint8_t *)v[i][0], n, enc),
			     MXP_BASE64_LEN(n));
		MXP_CHECK_STR(t, enc, v[i][1]);
		MXP_CHECK_EQ(t, mxp_base64_decode(v[i][1], strlen(v[i][1]), dec, sizeof(dec)),
			     (int)n);
		MXP_CHECK_MEM(t, dec, v[i][0], n);
	}
	uint8_t d[8];
	MXP_CHECK_EQ(t, mxp_base64_decode("Zm8", 3, d, sizeof(d)), 2); /* padding optional */
	MXP_CHECK_EQ(t, mxp_base64_decode("Zg=", 3, d, sizeof(d)), -1);   /* half padding */
	MXP_CHECK_EQ(t, mxp_base64_decode("Zh==", 4, d, sizeof(d)), -1);  /* unused bits set */
	MXP_CHECK_EQ(t, mxp_base64_decode("Z", 1, d, sizeof(d)), -1);
	MXP_CHECK_EQ(t, mxp_base64_decode("Zm9v!A==", 8, d, sizeof(d)), -1);
	MXP_CHECK_EQ(t, mxp_base64_decode("Zm=9", 4, d, sizeof(d)), -1); /* '=' inside */
	MXP_CHECK_EQ(t, mxp_base64_decode("Zm9vYmFy", 8, d, 5), -1);      /* no room */
}

/*
 * Files that hold keys: created or truncated with mode 0600; a symbolic link, a device, a
 * FIFO or a directory refused before anything about them changes (root running
 * `mrfc churn keys-history=/dev/null` must not make /dev/null 0600).
 */
MXP_TEST(secret_file)
{
	char dir[] = "/tmp/mxp-secret-XXXXXX";
	MXP_CHECK(t, mkdtemp(dir) != NULL);
	char f[128], lnk[128], fifo[128];
	snprintf(f, sizeof(f), "%s/keys", dir);
	snprintf(lnk, sizeof(lnk), "%s/link", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	struct stat st;
	/* new: 0600 whatever the umask */
	mode_t um = umask(0);
	int fd = mxp_secret_file_open(f);
	umask(um);
	MXP_CHECK(t, fd >= 0);
	MXP_CHECK_EQ(t, fstat(fd, &st), 0);
	MXP_CHECK_EQ(t, st.st_mode & 07777, 0600);
	MXP_CHECK_EQ(t, write(fd, "secret\n", 7), 7);
	close(fd);
	/* existing, world-readable: truncated and made 0600 */
	MXP_CHECK_EQ(t, chmod(f, 0644), 0);
	fd = mxp_secret_file_open(f);
	MXP_CHECK(t, fd >= 0);
	MXP_CHECK_EQ(t, fstat(fd, &st), 0);
	MXP_CHECK_EQ(t, st.st_mode & 07777, 0600);
	MXP_CHECK_EQ(t, st.st_size, 0);
	MXP_CHECK(t, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	MXP_CHECK_EQ(t, fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	MXP_CHECK_EQ(t, write(fd, "kept", 4), 4);
	close(fd);
	/* a symbolic link to it: refused, the file untouched */
	MXP_CHECK_EQ(t, chmod(f, 0640), 0);
	MXP_CHECK_EQ(t, symlink(f, lnk), 0);
	MXP_CHECK_EQ(t, mxp_secret_file_open(lnk), -ELOOP);
	MXP_CHECK_EQ(t, stat(f, &st), 0);
	MXP_CHECK_EQ(t, st.st_size, 4);
	MXP_CHECK_EQ(t, st.st_mode & 07777, 0640);
	MXP_CHECK(t, strstr(mxp_secret_file_strerror(-ELOOP), "symbolic link") != NULL);
	/* a device: refused, its mode unchanged */
	struct stat dn0, dn1;
	MXP_CHECK_EQ(t, stat("/dev/null", &dn0), 0);
	MXP_CHECK_EQ(t, mxp_secret_file_open("/dev/null"), -EINVAL);
	MXP_CHECK_EQ(t, stat("/dev/null", &dn1), 0);
	MXP_CHECK_EQ(t, dn1.st_mode, dn0.st_mode);
	MXP_CHECK(t, strcmp(mxp_secret_file_strerror(-EINVAL), "not a regular file") == 0);
	/* a FIFO nobody reads: refused at once (no wait for a reader) */
	MXP_CHECK_EQ(t, mkfifo(fifo, 0644), 0);
	fd = mxp_secret_file_open(fifo);
	MXP_CHECK(t, fd == -ENXIO || fd == -EINVAL);
	MXP_CHECK_EQ(t, stat(fifo, &st), 0);
	MXP_CHECK_EQ(t, st.st_mode & 07777, 0644);
	/* a directory */
	MXP_CHECK(t, mxp_secret_file_open(dir) < 0);
	unlink(lnk);
	unlink(fifo);
	unlink(f);
	rmdir(dir);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(big_endian), MXP_CASE(checksum), MXP_CASE(ip_header),
	MXP_CASE(addresses),  MXP_CASE(address_and_port), MXP_CASE(align), MXP_CASE(base64),
	MXP_CASE(secret_file),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
