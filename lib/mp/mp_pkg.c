/* SPDX-License-Identifier: BSD-3-Clause */
/* The project's package "mxp": conference and leg properties (doc/mp.md). */
#include <errno.h>
#include <string.h>

#include "mp_priv.h"

static int
onoff(struct mxp_mp_str v)
{
	if (mxp_mp_str_eq(v, "on"))
		return 1;
	if (mxp_mp_str_eq(v, "off"))
		return 0;
	return -1;
}

static int
one(const struct mxp_mp_prop *pr, const char *base, struct mxp_mp_pkg *pkg,
    struct mxp_mp_error *err)
{
	size_t pos = base != NULL ? (size_t)(pr->name.p - base) : 0;
	const char *slash = memchr(pr->name.p, '/', pr->name.len);
	struct mxp_mp_str pk = { pr->name.p, slash ? (uint32_t)(slash - pr->name.p) : pr->name.len };
	if (slash == NULL || !mxp_mp_str_eq(pk, "mxp"))
		return mxp_mp_error_set(err, MXP_MP_E_UNKNOWN_PKG, base, pos,
					"package of '%.*s' not supported (only mxp)",
					(int)(pr->name.len > 40 ? 40 : pr->name.len), pr->name.p);
	struct mxp_mp_str item = { slash + 1, (uint32_t)(pr->name.p + pr->name.len - slash - 1) };
	struct mxp_mp_str v = pr->value;
	static const char *const names[] = { "mode", "topn", "strict", "plainrtp", "keygroup",
					     "afthresh", "mute", "floor", "asymmetric", "record",
					     "recmax", "cascade" };
	int k;
	for (k = 0; k < 12; k++)
		if (mxp_mp_str_eq(item, names[k]))
			break;
	if (k == 12)
		return mxp_mp_error_set(err, MXP_MP_E_NO_SUCH_PROP, base, pos,
					"no property '%.*s' in package mxp",
					(int)(item.len > 30 ? 30 : item.len), item.p);
	if (pkg->present & (1u << k))
		return mxp_mp_error_set(err, MXP_MP_E_PROP_TWICE, base, pos,
					"mxp/%s appears twice", names[k]);
	if (pr->op != '=')
		return mxp_mp_error_set(err, MXP_MP_E_BAD_VALUE, base, pos,
					"mxp/%s takes '=' and a value", names[k]);
	uint32_t x = 0;
	bool ok = true;
	switch (k) {
	case 0:
		pkg->mode = mxp_mp_str_eq(v, "mix") ? MXP_MP_CONF_MIX :
			    mxp_mp_str_eq(v, "switch") ? MXP_MP_CONF_SWITCH :
			    mxp_mp_str_eq(v, "forward") ? MXP_MP_CONF_FORWARD : MXP_MP_CONF_UNSET;
		ok = pkg->mode != MXP_MP_CONF_UNSET;
		break;
	case 1:
		ok = mxp_mp_str_uint(v, 16, &x) && x >= 1;
		pkg->topn = (uint8_t)x;
		break;
	case 2:
		pkg->strict = (int8_t)onoff(v);
		ok = pkg->strict >= 0;
		break;
	case 3:
		pkg->plain_rtp = (int8_t)onoff(v);
		ok = pkg->plain_rtp >= 0;
		break;
	case 4:
		ok = v.len >= 1 && v.len <= 32;
		for (uint32_t i = 0; ok && i < v.len; i++) {
			char c = v.p[i];
			ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
			     c == '_' || c == '-';
		}
		pkg->keygroup = v;
		break;
	case 5:
		ok = mxp_mp_str_uint(v, 1000000, &pkg->authfail_threshold) &&
		     pkg->authfail_threshold > 0;
		break;
	case 6:
		pkg->mute = (int8_t)onoff(v);
		ok = pkg->mute >= 0;
		break;
	case 7:
		/* "open" or a termination id (1..64 characters of a NAME) */
		ok = v.len >= 1 && v.len <= 64;
		for (uint32_t i = 0; ok && i < v.len; i++) {
			char c = v.p[i];
			ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
			     c == '_' || c == '-' || c == '/' || c == '.';
		}
		pkg->floor = v;
		break;
	case 8:
		pkg->asymmetric = (int8_t)onoff(v);
		ok = pkg->asymmetric >= 0;
		break;
	case 9:
		/* "off" or a file name: [A-Za-z0-9_.-], no leading '.', ".wav" at the end (lib/conf
		 * checks it again) */
		ok = mxp_mp_str_eq(v, "off") ||
		     (v.len >= 5 && v.len <= 127 && v.p[0] != '.' &&
		      mxp_mp_str_eq((struct mxp_mp_str){ v.p + v.len - 4, 4 }, ".wav"));
		for (uint32_t i = 0; ok && i < v.len; i++) {
			char c = v.p[i];
			ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
			     c == '_' || c == '-' || c == '.';
		}
		pkg->record = v;
		break;
	case 10:
		ok = mxp_mp_str_uint(v, 7 * 86400, &pkg->recmax) && pkg->recmax > 0;
		break;
	case 11:
		pkg->cascade = (int8_t)onoff(v);
		ok = pkg->cascade >= 0;
		break;
	}
	if (!ok)
		return mxp_mp_error_set(err, MXP_MP_E_BAD_VALUE, base, pos,
					"bad value '%.*s' for mxp/%s", (int)(v.len > 30 ? 30 : v.len),
					v.p, names[k]);
	pkg->present |= 1u << k;
	return 0;
}

int
mxp_mp_pkg_get(const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *cmd, const char *base,
	       struct mxp_mp_pkg *pkg, struct mxp_mp_error *err)
{
	memset(pkg, 0, sizeof(*pkg));
	pkg->strict = -1;
	pkg->asymmetric = -1;
	pkg->cascade = -1;
	pkg->plain_rtp = -1;
	pkg->mute = -1;
	memset(err, 0, sizeof(*err));
	for (uint16_t i = 0; i < cmd->ts_props.n; i++)
		if (one(&msg->props[cmd->ts_props.first + i], base, pkg, err) != 0)
			return -EINVAL;
	for (uint8_t s = 0; s < cmd->nstreams; s++)
		for (uint16_t i = 0; i < cmd->streams[s].lc_props.n; i++)
			if (one(&msg->props[cmd->streams[s].lc_props.first + i], base, pkg, err) != 0)
				return -EINVAL;
	return 0;
}
