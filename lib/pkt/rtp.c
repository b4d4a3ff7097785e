/* SPDX-License-Identifier: BSD-3-Clause */
#include "mxp_rtp.h"
#include "pkt_priv.h"

static const char *const err_names[MXP_RTP_ERR_MAX] = {
	[MXP_RTP_OK] = "ok",
	[MXP_RTP_TRUNCATED] = "truncated",
	[MXP_RTP_VERSION] = "version",
	[MXP_RTP_CSRC_OVERFLOW] = "csrc_overflow",
	[MXP_RTP_EXT_OVERFLOW] = "ext_overflow",
	[MXP_RTP_PADDING] = "padding",
};

const char *
mxp_rtp_err_name(enum mxp_rtp_err e)
{
	return (unsigned int)e < MXP_RTP_ERR_MAX ? err_names[e] : "unknown";
}

enum mxp_rtp_err
mxp_rtp_parse(const uint8_t *p, uint32_t len, struct mxp_rtp_info *info)
{
	if (len < 12)
		return MXP_RTP_TRUNCATED;
	if ((p[0] >> 6) != 2)
		return MXP_RTP_VERSION;
	info->cc = p[0] & 0x0f;
	info->padding = (p[0] & 0x20) != 0;
	info->marker = (p[1] & 0x80) != 0;
	info->pt = p[1] & 0x7f;
	info->seq = mxp_be_rd16(p + 2);
	info->ts = mxp_be_rd32(p + 4);
	info->ssrc = mxp_be_rd32(p + 8);
	uint32_t off = 12u + 4u * info->cc;
	if (off > len)
		return MXP_RTP_CSRC_OVERFLOW;
	info->ext_off = 0;
	info->ext_len = 0;
	info->ext_profile = 0;
	if (p[0] & 0x10) {
		if (off + 4 > len)
			return MXP_RTP_EXT_OVERFLOW;
		uint32_t elen = 4u * mxp_be_rd16(p + off + 2);
		if (off + 4 + elen > len)
			return MXP_RTP_EXT_OVERFLOW;
		info->ext_profile = mxp_be_rd16(p + off);
		info->ext_off = (uint16_t)(off + 4);
		info->ext_len = (uint16_t)elen;
		off += 4 + elen;
	}
	info->hdr_len = (uint16_t)off;
	return MXP_RTP_OK;
}

enum mxp_rtp_err
mxp_rtp_padding(const uint8_t *p, uint32_t len, const struct mxp_rtp_info *info,
		uint32_t *payload_len)
{
	uint32_t pl = len - info->hdr_len;

	if (info->padding) {
		uint8_t pad = pl ? p[len - 1] : 0;
		if (pad == 0 || pad > pl)
			return MXP_RTP_PADDING;
		pl -= pad;
	}
	*payload_len = pl;
	return MXP_RTP_OK;
}

enum mxp_rtp_err
mxp_rtcp_parse(const uint8_t *p, uint32_t len, uint32_t *ssrc)
{
	if (len < 8)
		return MXP_RTP_TRUNCATED;
	if ((p[0] >> 6) != 2)
		return MXP_RTP_VERSION;
	uint32_t plen = 4u * ((uint32_t)mxp_be_rd16(p + 2) + 1);
	if (plen > len)
		return MXP_RTP_TRUNCATED;
	*ssrc = mxp_be_rd32(p + 4);
	return MXP_RTP_OK;
}

bool
mxp_rtp_audio_level(const uint8_t *p, const struct mxp_rtp_info *info, uint8_t ext_id,
		    uint8_t *level, bool *vad)
{
	const uint8_t *e = p + info->ext_off;
	uint32_t n = info->ext_len, i = 0;

	if (info->ext_off == 0 || ext_id == 0)
		return false;
	if (info->ext_profile == 0xBEDE) { /* RFC 8285 one-byte elements */
		while (i < n) {
			uint8_t id = e[i] >> 4, l = (uint8_t)((e[i] & 0xf) + 1);
			if (id == 0) { /* padding byte */
				i++;
				continue;
			}
			if (id == 15 || i + 1 + l > n)
				return false;
			if (id == ext_id) {
				*vad = (e[i + 1] & 0x80) != 0;
				*level = e[i + 1] & 0x7f;
				return true;
			}
			i += 1u + l;
		}
	} else if ((info->ext_profile & 0xfff0) == 0x1000) { /* two-byte elements */
		while (i < n) {
			if (e[i] == 0) {
				i++;
				continue;
			}
			if (i + 2 > n)
				return false;
			uint8_t id = e[i], l = e[i + 1];
			if (i + 2 + l > n)
				return false;
			if (id == ext_id && l >= 1) {
				*vad = (e[i + 2] & 0x80) != 0;
				*level = e[i + 2] & 0x7f;
				return true;
			}
			i += 2u + l;
		}
	}
	return false;
}
