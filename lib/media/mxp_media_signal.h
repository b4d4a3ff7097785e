/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/media: the audio of signals. Tones synthesised from their definitions (ITU-T E.180
 * call progress and service tones per country set, ITU-T Q.23 DTMF pairs), announcements
 * loaded from audio files and converted to the mix rates, and a generator that plays
 * either, one frame at a time.
 *
 * Threading: the tone tables are constant; an announcement is loaded on the control core
 * (it allocates and reads a file) and is then read-only, shared by every generator that
 * plays it (a reference each, atomic). A generator is the caller's memory; running it
 * neither allocates, locks nor makes a system call.
 */
#ifndef MXP_MEDIA_SIGNAL_H
#define MXP_MEDIA_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Tones                                                                                */

/** Segments of a tone's cadence. */
#define MXP_TONE_MAX_SEGS 8

/** One segment of a cadence: a length and what sounds (no frequency: silence). */
struct mxp_tone_seg {
	uint16_t ms;               /**< 0: continuous (the only segment of a steady tone) */
	uint16_t freq[2];          /**< Hz, added; 0: none (both 0: a pause) */
};

/** One tone: its cadence of segments and the level of its frequencies. */
struct mxp_tone_def {
	const char *name;          /**< H.248-style name: "cg/dt", "cg/rt", "srvtn/conf" */
	const char *desc;
	int8_t level[2];           /**< dBm0 of freq[0] and freq[1] of every segment
				    *   (0 dBm0: a sine 3.14 dB below G.711's full scale) */
	uint8_t nseg;
	struct mxp_tone_seg seg[MXP_TONE_MAX_SEGS];
	/** The cadence repeats until stopped (dial, ringing, busy); false: it is played once
	 *  (call waiting, confirmation, warning) unless a repeat count says otherwise */
	bool repeat;
};

/** Peak amplitude (16-bit linear) of a sine of @p dbm0 dBm0. */
double mxp_tone_amplitude(int dbm0);

/** A country set: its name ("itu", "us", "uk", "de") and its tones. */
struct mxp_tone_set {
	const char *name;
	const char *desc;
	const struct mxp_tone_def *tones;
	unsigned int ntones;
};

/** The country sets (the first is "itu", ITU-T E.180's recommended values). */
const struct mxp_tone_set *mxp_tone_sets(unsigned int *n);
/** A country set by name (case-insensitive); NULL if there is none. */
const struct mxp_tone_set *mxp_tone_set_find(const char *name);
/**
 * A tone of a set by name. Names a country set lacks come from "itu". Also accepts the
 * name without its package ("dt" for "cg/dt"). NULL if unknown.
 */
const struct mxp_tone_def *mxp_tone_find(const struct mxp_tone_set *set, const char *name);

/** ITU-T Q.23 DTMF frequencies of a digit (0-9 * # A-D); false for another character. */
bool mxp_dtmf_freqs(char digit, uint16_t *low, uint16_t *high);
/** RFC 4733 event code of a digit (0-9 -> 0-9, * 10, # 11, A-D 12-15); -1 otherwise. */
int mxp_dtmf_event(char digit);

/* ------------------------------------------------------------------------------------ */
/* Announcements                                                                        */

/**
 * An announcement: audio converted to 16-bit PCM at both mix rates (8 and 16 kHz).
 * Read-only once loaded; shared by reference.
 */
struct mxp_announcement {
	uint32_t refs;             /**< atomic; the last mxp_announcement_put() frees */
	uint32_t samples8;         /**< samples of pcm8 (pcm16 has twice as many) */
	const int16_t *pcm8;
	const int16_t *pcm16;
	uint32_t src_rate;         /**< of the file */
	char name[64];
};

/**
 * Load an audio file and convert it (control core). WAV (RIFF) with 16-bit linear PCM,
 * A-law or mu-law, mono, at 8, 16, 32, 44.1 or 48 kHz; or raw headerless audio named by
 * its extension: .ul / .pcmu (mu-law, 8 kHz), .al / .pcma (A-law, 8 kHz), .l16 / .raw
 * (16-bit little-endian PCM, 8 kHz), .l16w / .sw16 (16-bit little-endian PCM, 16 kHz).
 * @param path  the file.
 * @param a     receives the announcement, one reference (the caller's).
 * @return 0, -ENOENT (no such file), -EINVAL (not a format above: err says what),
 *         -EFBIG (longer than 10 minutes), -ENOMEM, -EIO.
 */
int mxp_announcement_load(const char *path, struct mxp_announcement **a, char *err,
			  size_t errlen);
/**
 * The same from a file's bytes in memory: @p name's extension says the format (as above).
 * @return 0, -EINVAL (err says what), -EFBIG, -ENOMEM.
 */
int mxp_announcement_parse(const uint8_t *bytes, size_t len, const char *name,
			   struct mxp_announcement **a, char *err, size_t errlen);
/** Take a reference (any thread). */
void mxp_announcement_get(struct mxp_announcement *a);
/**
 * Drop a reference (any thread). Returns true when it was the last one: the caller then
 * frees with mxp_announcement_free() on a thread that may (never a worker: it keeps the
 * announcement for the control core to free, see lib/conf).
 */
bool mxp_announcement_put(struct mxp_announcement *a);
/** Free an announcement nobody references any more. */
void mxp_announcement_free(struct mxp_announcement *a);

/* ------------------------------------------------------------------------------------ */
/* The generator                                                                        */

/** What a generator plays. */
enum mxp_siggen_kind {
	MXP_SIGGEN_TONE = 1,
	MXP_SIGGEN_ANNOUNCEMENT,
	MXP_SIGGEN_DTMF,
};

#define MXP_SIGGEN_MAX_DIGITS 32

/**
 * A generator: plays one tone, announcement or digit string at 16 kHz (the 8 kHz frame is
 * derived from the same time line), frame after frame. Caller's memory; plain data.
 */
struct mxp_siggen {
	uint8_t kind;              /**< enum mxp_siggen_kind */
	bool done;
	const struct mxp_tone_def *tone;
	struct mxp_announcement *ann; /**< a reference the generator holds while it plays */
	char digits[MXP_SIGGEN_MAX_DIGITS + 1];
	uint8_t ndigits;
	uint32_t limit;            /**< samples at 16 kHz to play in all; 0: the natural end */
	uint32_t plays;            /**< times the cadence / announcement is played; 0 = 1 */
	uint32_t digit_on, digit_off; /**< DTMF: samples (16 kHz) of a digit and the pause */
	/* running state */
	uint64_t pos;              /**< samples (16 kHz) played so far */
	uint32_t seg_pos;          /**< within the current cadence entry / announcement */
	uint8_t seg;               /**< cadence segment (tone), digit (DTMF) */
	uint32_t round;            /**< cadence or announcement round */
	double y1[2], y2[2];       /**< oscillators (resonators): the last two samples */
	double k[2];               /**< 2 cos(w) of each */
	double amp[2];             /**< DTMF: peak amplitude of the low and high tone */
};

/** Parameters of mxp_siggen_init(). */
struct mxp_siggen_params {
	enum mxp_siggen_kind kind;
	const struct mxp_tone_def *tone;   /**< TONE */
	struct mxp_announcement *ann;      /**< ANNOUNCEMENT: the generator takes this reference */
	const char *digits;                /**< DTMF: 0-9 * # A-D, at most MXP_SIGGEN_MAX_DIGITS */
	uint32_t duration_ms;      /**< 0: the natural length (a repeating tone: until stopped) */
	uint16_t repeat;           /**< plays of the cadence / announcement; 0 = 1 */
	uint16_t digit_ms;         /**< DTMF: each digit's tone; 0 = 100 */
	uint16_t gap_ms;           /**< DTMF: the pause after each digit; 0 = 100 */
	int8_t dtmf_level;         /**< DTMF: dBm0 of each frequency; 0 = -8 (low) / -6 (high) */
};

/** Set up a generator. -EINVAL if a parameter is missing or bad (a digit, a tone). */
int mxp_siggen_init(struct mxp_siggen *g, const struct mxp_siggen_params *p);
/**
 * Produce the next n16 samples at 16 kHz into pcm16 and/or the same time at 8 kHz (n16 / 2
 * samples) into pcm8 (either may be NULL). With add, the samples are added (saturating) to
 * what the buffers hold, else they replace it. After the end, silence (or nothing added).
 * @return true while the signal still plays after this frame, false once it ended.
 */
bool mxp_siggen_run(struct mxp_siggen *g, int16_t *pcm16, int16_t *pcm8, unsigned int n16,
		    bool add);
/**
 * DTMF: what the generator plays at its position: the digit index being played, and
 * whether the digit's tone is on. -1 once every digit was played.
 */
int mxp_siggen_dtmf_state(const struct mxp_siggen *g, bool *on, uint32_t *on_pos16);
/** Release what the generator holds (its announcement reference); returns the announcement
 *  if that was its last reference (the caller frees it where it may), else NULL. */
struct mxp_announcement *mxp_siggen_release(struct mxp_siggen *g);

#ifdef __cplusplus
}
#endif

#endif
