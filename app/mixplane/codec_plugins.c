/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Codec plugins: shared libraries named in [mixplane] codec_plugins, loaded once at start,
 * before any conference exists. A plugin exports
 *     const struct mxp_media_codec_ops mxp_codec_plugin;
 * (lib/media/mxp_media_codec.h, built against MXP_MEDIA_CODEC_ABI); the daemon registers
 * it with lib/media and from then on legs can name the codec (a=rtpmap over Mp, `codec
 * NAME/CLOCK` in the CLI). Plugins are never unloaded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mixplane.h"
#include "mxp_media_codec.h"

int
mxp_codec_plugins_load(const struct mxp_cfg *c, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < c->nb_codec_plugins; i++) {
		const char *path = c->codec_plugins[i];
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (h == NULL) {
			snprintf(err, errlen, "codec plugin %s: %s", path, dlerror());
			return -ENOENT;
		}
		const struct mxp_media_codec_ops *o = dlsym(h, "mxp_codec_plugin");
		if (o == NULL) {
			snprintf(err, errlen, "codec plugin %s: no symbol mxp_codec_plugin", path);
			dlclose(h);
			return -EINVAL;
		}
		if (o->abi != MXP_MEDIA_CODEC_ABI) {
			snprintf(err, errlen, "codec plugin %s: built for codec interface %u, this "
				 "daemon has %u", path, o->abi, MXP_MEDIA_CODEC_ABI);
			dlclose(h);
			return -EINVAL;
		}
		int r = mxp_media_codec_register(o);
		if (r < 0) {
			snprintf(err, errlen, "codec plugin %s (%s/%u): %s", path,
				 o->name ? o->name : "?", o->clock,
				 r == -EEXIST ? "a codec of that name and clock exists" :
				 r == -ENOSPC ? "no plugin slot left" :
						"incomplete table (name, clock, rate 8000/16000/48000, "
						"frame_ms, max_payload and every required function)");
			dlclose(h);
			return r;
		}
	}
	return 0;
}
