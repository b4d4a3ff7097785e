/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A leg's memory: who owns a packet buffer when (every buffer a leg takes is returned
 * exactly once, on each path that ends a packet's stay), and how big a leg is.
 *
 * Every packet the tests pass gets a buffer of its own with an id; the test tracks each
 * one as kept by the caller (the rx result says it was not taken), held by the leg, or
 * released (the release callback checks it was held, then frees it: under ASan a buffer
 * the leg touched after releasing it, or released twice, is an error too).
 */
#include "mxp_test.h"
#include "media_sim.h"
#include "media_priv.h"
#include "mxp_be.h"

enum buf_state { B_FREE, B_CALLER, B_HELD, B_RELEASED };
enum phase { PH_RX, PH_TICK, PH_FINI, PH_COUNT };

#define MAXB 200000
#define MAGIC 0x6d787062u

static uint8_t state[MAXB];
static unsigned nbufs, bad_release, phase;
static unsigned released[PH_COUNT];

struct tbuf {
	uint32_t magic, id;
	uint8_t pad[5]; /* the payload does not start at ref */
	uint8_t data[];
};

static void
own_release(void *ref, void *arg)
{
	struct tbuf *b = ref;
	(void)arg;
	if (b->magic != MAGIC || b->id >= nbufs || state[b->id] != B_HELD) {
		bad_release++;
		return;
	}
	state[b->id] = B_RELEASED;
	released[phase]++;
	b->magic = 0;
	free(b);
}

static unsigned
count(enum buf_state s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nbufs; i++)
		n += state[i] == s;
	return n;
}

static void
own_reset(void)
{
	memset(state, 0, sizeof(state));
	nbufs = 0;
	bad_release = 0;
	memset(released, 0, sizeof(released));
}

/* rx of a packet in a buffer of its own; the caller frees what the leg did not take */
static enum mxp_media_rx_result
own_rx(struct mxp_media_leg *l, const struct mxp_media_pkt *p, uint64_t now)
{
	struct tbuf *b = malloc(sizeof(*b) + p->len + 1);
	if (b == NULL || nbufs == MAXB)
		abort();
	b->magic = MAGIC;
	b->id = nbufs++;
	memcpy(b->data, p->payload, p->len);
	struct mxp_media_pkt q = *p;
	q.ref = b;
	q.payload = b->data;
	state[b->id] = B_CALLER;
	phase = PH_RX;
	enum mxp_media_rx_result r = mxp_media_leg_rx(l, &q, now, NULL);
	if (mxp_media_rx_taken(r)) {
		if (state[b->id] == B_CALLER) /* not released at once */
			state[b->id] = B_HELD;
	} else {
		free(b);
	}
	return r;
}

/* A one-leg conference; the test feeds the leg itself. */
struct one {
	struct mxp_media_mixer *m;
	struct mxp_media_leg *l;
	uint64_t now;
	uint8_t pay[640];
	uint16_t seq;
	uint32_t ts, ssrc;
};

static int
one_init(struct one *o, enum mxp_media_codec c, unsigned ptime)
{
	memset(o, 0, sizeof(*o));
	o->now = 1000000;
	struct mxp_media_mixer_params mp = {.ptime_ms = (uint16_t)ptime, .max_legs = 2};
	o->m = sim_mixer_new(&mp, o->now);
	struct mxp_media_leg_params p;
	sim_leg_params(&p, 1, c, ptime);
	p.release = own_release;
	o->l = sim_leg_new(&p);
	if (o->m == NULL || o->l == NULL || mxp_media_mixer_leg_add(o->m, o->l) != 0)
		return -1;
	for (unsigned i = 0; i < sizeof(o->pay); i++)
		o->pay[i] = (uint8_t)(0x15 + (i * 37 % 64)); /* loud mu-law: speech */
	o->seq = 1000;
	o->ts = 50000;
	o->ssrc = 7;
	return 0;
}

/* The next PCMU packet of len bytes (len samples), sent 2 ms after the last tick. */
static enum mxp_media_rx_result
one_send(struct one *o, unsigned len)
{
	struct mxp_media_pkt p = {.payload = o->pay, .len = (uint16_t)len, .seq = o->seq++,
				  .ts = o->ts, .ssrc = o->ssrc, .pt = 0,
				  .level = MXP_MEDIA_LEVEL_NONE};
	o->ts += len;
	return own_rx(o->l, &p, o->now + 2000);
}

static void
one_tick(struct one *o, unsigned ticks)
{
	o->now += (uint64_t)ticks * 20000;
	phase = PH_TICK;
	mxp_media_mix_tick(o->m, o->now);
}

static unsigned
buffered(const struct mxp_media_leg *l)
{
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(l, &st);
	return st.buffered;
}

static void
one_free(struct one *o)
{
	mxp_media_mixer_leg_remove(o->m, o->l);
	phase = PH_FINI;
	sim_leg_free(o->l);
	free(o->m);
}

MXP_TEST(played_packets_are_released_once)
{
	struct one o;
	own_reset();
	if (!MXP_CHECK(t, one_init(&o, MXP_MEDIA_CODEC_PCMU, 20) == 0))
		return;
	for (unsigned k = 0; k < 100; k++) {
		MXP_CHECK_EQ(t, one_send(&o, 160), MXP_MEDIA_RX_AUDIO);
		one_tick(&o, 1);
		/* what the leg holds is what it says it holds, no more */
		MXP_CHECK_EQ(t, count(B_HELD), buffered(o.l));
	}
	MXP_CHECK(t, buffered(o.l) <= 2);
	MXP_CHECK(t, released[PH_TICK] >= 98);
	MXP_CHECK_EQ(t, released[PH_RX], 0);
	/* a duplicate of a queued packet, CN and an unknown payload type stay the caller's */
	MXP_CHECK_EQ(t, one_send(&o, 160), MXP_MEDIA_RX_AUDIO);
	o.seq--;
	o.ts -= 160;
	MXP_CHECK_EQ(t, one_send(&o, 160), MXP_MEDIA_RX_DUPLICATE);
	uint8_t cn = 60;
	struct mxp_media_pkt p = {.payload = &cn, .len = 1, .seq = o.seq++, .ts = o.ts,
				  .ssrc = o.ssrc, .pt = 13, .level = MXP_MEDIA_LEVEL_NONE};
	MXP_CHECK_EQ(t, own_rx(o.l, &p, o.now + 3000), MXP_MEDIA_RX_CN);
	p.pt = 55;
	MXP_CHECK_EQ(t, own_rx(o.l, &p, o.now + 3000), MXP_MEDIA_RX_UNKNOWN_PT);
	/* an audio packet without a buffer is refused */
	p.pt = 0;
	p.len = 160;
	p.payload = o.pay;
	MXP_CHECK_EQ(t, mxp_media_leg_rx(o.l, &p, o.now + 3000, NULL),
		     MXP_MEDIA_RX_BAD_PAYLOAD);
	one_free(&o);
	MXP_CHECK_EQ(t, count(B_HELD), 0);
	MXP_CHECK_EQ(t, bad_release, 0);
	MXP_CHECK_EQ(t, count(B_RELEASED), released[PH_RX] + released[PH_TICK] + released[PH_FINI]);
	printf("#   %u buffers taken, released %u at ticks, %u at fini\n", count(B_RELEASED),
	       released[PH_TICK], released[PH_FINI]);
}

/*
 * A slot keeps payload - ref in 16 bits: a payload up to 65,535 bytes after its buffer's
 * start is queued and played from the right bytes (the buffer is silence everywhere but
 * the payload, loud L16, whose level the tick measures on what it decoded), one further
 * or before ref is refused as BAD_PAYLOAD and stays the caller's.
 */
static enum mxp_media_rx_result
far_rx(struct one *o, size_t off, bool before)
{
	size_t n = sizeof(struct tbuf) + off + 328;
	struct tbuf *b = calloc(1, n);
	if (b == NULL || nbufs == MAXB)
		abort();
	b->magic = MAGIC;
	b->id = nbufs++;
	/* before: the payload 8 bytes before a ref inside the buffer (refused, never released) */
	uint8_t *pl = before ? b->data : (uint8_t *)b + off;
	for (unsigned i = 0; i < 160; i++) /* L16 (big-endian): a square wave of +-12,000 */
		mxp_be_wr16(pl + 2 * i, (uint16_t)(i & 4 ? 12000 : -12000));
	struct mxp_media_pkt p = {.ref = before ? b->data + 8 : (void *)b, .payload = pl,
				  .len = 320, .seq = o->seq++, .ts = o->ts, .ssrc = o->ssrc,
				  .pt = sim_pt_of(MXP_MEDIA_CODEC_L16_8K),
				  .level = MXP_MEDIA_LEVEL_NONE};
	o->ts += 160;
	state[b->id] = B_CALLER;
	phase = PH_RX;
	enum mxp_media_rx_result r = mxp_media_leg_rx(o->l, &p, o->now + 2000, NULL);
	if (mxp_media_rx_taken(r))
		state[b->id] = B_HELD;
	else
		free(b);
	return r;
}

MXP_TEST(payload_offset_limits)
{
	struct one o;
	own_reset();
	if (!MXP_CHECK(t, one_init(&o, MXP_MEDIA_CODEC_PCMU, 20) == 0))
		return;
	/* the limit itself, for long enough to be played (and measured) */
	for (unsigned k = 0; k < 20; k++) {
		MXP_CHECK_EQ(t, far_rx(&o, 65535, false), MXP_MEDIA_RX_AUDIO);
		one_tick(&o, 1);
	}
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(o.l, &st);
	printf("# payload 65,535 bytes after ref: level %u dBov, %llu samples played\n",
	       st.level, (unsigned long long)st.played);
	MXP_CHECK(t, st.level < 40); /* the loud payload, not the silence around it */
	MXP_CHECK(t, st.played >= 15 * 160);
	MXP_CHECK_EQ(t, far_rx(&o, 65536, false), MXP_MEDIA_RX_BAD_PAYLOAD);
	MXP_CHECK_EQ(t, far_rx(&o, 0, true), MXP_MEDIA_RX_BAD_PAYLOAD);
	MXP_CHECK_EQ(t, far_rx(&o, sizeof(struct tbuf), false), MXP_MEDIA_RX_AUDIO);
	one_free(&o);
	MXP_CHECK_EQ(t, count(B_HELD), 0);
	MXP_CHECK_EQ(t, bad_release, 0);
	MXP_CHECK_EQ(t, released[PH_TICK] + released[PH_FINI], 21);
}

MXP_TEST(late_and_stale_packets)
{
	struct one o;
	own_reset();
	if (!MXP_CHECK(t, one_init(&o, MXP_MEDIA_CODEC_PCMU, 20) == 0))
		return;
	for (unsigned k = 0; k < 20; k++) {
		one_send(&o, 160);
		one_tick(&o, 1);
	}
	/* a packet behind the playout point is not taken: one never received (beyond the
	 * 64-packet duplicate window) is late, one received and played already a duplicate */
	struct mxp_media_pkt p = {.payload = o.pay, .len = 160, .seq = (uint16_t)(o.seq - 100),
				  .ts = o.ts - 100 * 160, .ssrc = o.ssrc, .pt = 0,
				  .level = MXP_MEDIA_LEVEL_NONE};
	enum mxp_media_rx_result r = own_rx(o.l, &p, o.now + 3000);
	MXP_CHECK(t, r == MXP_MEDIA_RX_LATE && !mxp_media_rx_taken(r));
	p.seq = (uint16_t)(o.seq - 5);
	p.ts = o.ts - 5 * 160;
	r = own_rx(o.l, &p, o.now + 3000);
	MXP_CHECK(t, r == MXP_MEDIA_RX_DUPLICATE && !mxp_media_rx_taken(r));
	/* the worker misses ticks: queued packets are now behind the playout point and
	 * leave as stale at the next tick, their buffers returned */
	for (unsigned k = 0; k < 3; k++)
		one_send(&o, 160);
	struct mxp_media_leg_stats st0, st;
	mxp_media_leg_stats_get(o.l, &st0);
	unsigned rel0 = released[PH_TICK];
	one_tick(&o, 4);
	mxp_media_leg_stats_get(o.l, &st);
	printf("#   after 3 missed ticks: %llu stale, %u released\n",
	       (unsigned long long)(st.rx[MXP_MEDIA_RX_LATE] - st0.rx[MXP_MEDIA_RX_LATE]),
	       released[PH_TICK] - rel0);
	MXP_CHECK(t, st.rx[MXP_MEDIA_RX_LATE] - st0.rx[MXP_MEDIA_RX_LATE] >= 2);
	MXP_CHECK_EQ(t, released[PH_TICK] - rel0, 3);
	MXP_CHECK_EQ(t, count(B_HELD), buffered(o.l));
	one_free(&o);
	MXP_CHECK_EQ(t, count(B_HELD), 0);
	MXP_CHECK_EQ(t, bad_release, 0);
}

MXP_TEST(restart_releases_what_was_queued)
{
	struct one o;
	own_reset();
	if (!MXP_CHECK(t, one_init(&o, MXP_MEDIA_CODEC_PCMU, 20) == 0))
		return;
	for (unsigned k = 0; k < 10; k++) {
		one_send(&o, 160);
		one_tick(&o, 1);
	}
	for (unsigned k = 0; k < 4; k++)
		one_send(&o, 160);
	unsigned held = count(B_HELD);
	MXP_CHECK(t, held >= 4);
	/* a new SSRC restarts the stream: everything queued goes back, the packet is taken */
	o.ssrc++;
	o.seq += 20000;
	o.ts += 1234567;
	struct mxp_media_leg_stats st0;
	mxp_media_leg_stats_get(o.l, &st0);
	MXP_CHECK_EQ(t, st0.flushed, 0);
	MXP_CHECK_EQ(t, one_send(&o, 160), MXP_MEDIA_RX_RESYNC);
	MXP_CHECK_EQ(t, released[PH_RX], held);
	MXP_CHECK_EQ(t, count(B_HELD), 1);
	/* the queued packets the restart discarded are counted (not the one being played) */
	mxp_media_leg_stats_get(o.l, &st0);
	MXP_CHECK(t, st0.flushed >= 4 && st0.flushed <= held);
	for (unsigned k = 0; k < 5; k++) {
		one_send(&o, 160);
		one_tick(&o, 1);
	}
	/* a sequence jump: the first packet is an outlier (not taken), the second in step
	 * restarts the stream */
	for (unsigned k = 0; k < 3; k++)
		one_send(&o, 160);
	unsigned rel0 = released[PH_RX];
	held = count(B_HELD);
	o.seq += 5000;
	enum mxp_media_rx_result r = one_send(&o, 160);
	MXP_CHECK(t, r == MXP_MEDIA_RX_OUTLIER && !mxp_media_rx_taken(r));
	MXP_CHECK_EQ(t, one_send(&o, 160), MXP_MEDIA_RX_RESYNC);
	MXP_CHECK_EQ(t, released[PH_RX] - rel0, held);
	/*
	 * A slot is never overwritten: a packet as far ahead as there are slots would take
	 * the slot of one still queued, and is an outlier instead (a second one in step is a
	 * restart, which returns everything first).
	 */
	unsigned n_slots = o.l->slot_mask + 1u;
	uint16_t s0 = o.seq;
	o.seq = (uint16_t)(s0 - 1 + n_slots);
	r = one_send(&o, 160);
	MXP_CHECK(t, r == MXP_MEDIA_RX_OUTLIER && !mxp_media_rx_taken(r));
	o.seq = (uint16_t)(s0 - 2 + n_slots);
	MXP_CHECK_EQ(t, one_send(&o, 160), MXP_MEDIA_RX_AUDIO); /* the last free slot */
	MXP_CHECK_EQ(t, count(B_HELD), buffered(o.l));
	one_free(&o);
	MXP_CHECK_EQ(t, count(B_HELD), 0);
	MXP_CHECK_EQ(t, bad_release, 0);
}

MXP_TEST(fini_returns_queued_and_deferred_packets)
{
	struct one o;
	own_reset();
	if (!MXP_CHECK(t, one_init(&o, MXP_MEDIA_CODEC_PCMU, 20) == 0))
		return;
	/* 40 ms packets in a 20 ms conference: after a tick half of one is still to play,
	 * and the leg holds its buffer (decoded as it is played) */
	for (unsigned k = 0; k < 40; k++) {
		if (k % 2 == 0)
			one_send(&o, 320);
		one_tick(&o, 1);
		if (k > 10 && o.l->pend_ref != NULL)
			break;
	}
	MXP_CHECK(t, o.l->pend_ref != NULL);
	one_send(&o, 320);
	one_send(&o, 320);
	uint32_t mb = mxp_media_mixer_buffered(o.m);
	printf("#   held: %u (leg stats %u, mixer %u)\n", count(B_HELD), buffered(o.l), mb);
	MXP_CHECK_EQ(t, count(B_HELD), buffered(o.l));
	MXP_CHECK_EQ(t, mb, buffered(o.l));
	MXP_CHECK(t, count(B_HELD) >= 3);
	unsigned held = count(B_HELD);
	mxp_media_mixer_leg_remove(o.m, o.l);
	phase = PH_FINI;
	mxp_media_leg_fini(o.l);
	MXP_CHECK_EQ(t, released[PH_FINI], held);
	MXP_CHECK_EQ(t, buffered(o.l), 0);
	mxp_media_leg_fini(o.l); /* idempotent */
	MXP_CHECK_EQ(t, released[PH_FINI], held);
	/* the leg is usable after fini */
	MXP_CHECK_EQ(t, mxp_media_mixer_leg_add(o.m, o.l), 0);
	MXP_CHECK_EQ(t, one_send(&o, 160), MXP_MEDIA_RX_AUDIO);
	one_free(&o);
	MXP_CHECK_EQ(t, count(B_HELD), 0);
	MXP_CHECK_EQ(t, bad_release, 0);
}

/* Random streams over every path: all codecs, packet sizes, jitter, loss, duplicates,
 * restarts, codec changes, late ticks, mode changes, fini in the middle. */
MXP_TEST(every_taken_buffer_released_exactly_once)
{
	static const enum mxp_media_codec cods[] = {MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMA,
		MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_L16_8K, MXP_MEDIA_CODEC_L16_16K};
	own_reset();
	uint32_t rnd = 777;
	unsigned taken = 0, mismatch = 0;
	for (unsigned run = 0; run < 40; run++) {
		unsigned ptime = 10u * (1 + tu_rand(&rnd) % 4);
		struct mxp_media_mixer_params mp = {.ptime_ms = (uint16_t)ptime, .max_legs = 3};
		uint64_t now = 1000000;
		struct mxp_media_mixer *m = sim_mixer_new(&mp, now);
		struct mxp_media_leg *l[3];
		struct sim_src src[3];
		for (unsigned i = 0; i < 3; i++) {
			struct mxp_media_leg_params p;
			sim_leg_params(&p, i, cods[tu_rand(&rnd) % 5], ptime);
			p.release = own_release;
			p.max_delay_ms = (uint16_t)(60 + tu_rand(&rnd) % 300);
			l[i] = sim_leg_new(&p);
			mxp_media_mixer_leg_add(m, l[i]);
			enum mxp_media_codec c = cods[tu_rand(&rnd) % 5];
			sim_src_init(&src[i], c, sim_pt_of(c), 300 + 100 * i, 8000, 10 + i,
				     5u * (1 + tu_rand(&rnd) % 8));
		}
		uint8_t buf[1280];
		struct mxp_media_pkt pkt;
		for (unsigned k = 0; k < 400; k++) {
			for (unsigned i = 0; i < 3; i++) {
				unsigned np = ptime / src[i].ptime_ms + (tu_rand(&rnd) % 3 == 0);
				for (unsigned j = 0; j < np; j++) {
					uint32_t e = tu_rand(&rnd) % 100;
					if (e == 0)
						src[i].ssrc++;
					if (e == 1)
						src[i].seq += 40;
					if (e == 2)
						src[i].ts += 100000;
					sim_src_next(&src[i], buf, &pkt);
					if (e >= 3 && e < 8)
						continue; /* lost */
					uint64_t at = now + tu_rand(&rnd) % (3 * ptime * 1000);
					taken += mxp_media_rx_taken(own_rx(l[i], &pkt, at));
					if (e == 9) /* duplicate */
						taken += mxp_media_rx_taken(own_rx(l[i], &pkt, at + 10));
				}
			}
			uint32_t e = tu_rand(&rnd) % 200;
			now += ptime * 1000u * (e == 0 ? 4 : 1); /* a late worker now and then */
			phase = PH_TICK;
			mxp_media_mix_tick(m, now);
			if (e == 1) {
				phase = PH_FINI;
				mxp_media_leg_fini(l[k % 3]);
			}
			if (e == 2)
				mxp_media_leg_set_mode(l[k % 3], (enum mxp_stream_mode)(k % 4));
			unsigned b = 0;
			for (unsigned i = 0; i < 3; i++)
				b += buffered(l[i]);
			mismatch += b != count(B_HELD);
		}
		for (unsigned i = 0; i < 3; i++) {
			mxp_media_mixer_leg_remove(m, l[i]);
			phase = PH_FINI;
			sim_leg_free(l[i]);
		}
		free(m);
	}
	printf("#   %u buffers taken: released %u by rx (restarts), %u by ticks, %u by fini\n",
	       taken, released[PH_RX], released[PH_TICK], released[PH_FINI]);
	MXP_CHECK_EQ(t, mismatch, 0);
	MXP_CHECK_EQ(t, bad_release, 0);
	MXP_CHECK_EQ(t, count(B_HELD), 0);
	MXP_CHECK_EQ(t, count(B_RELEASED), taken);
	MXP_CHECK_EQ(t, released[PH_RX] + released[PH_TICK] + released[PH_FINI], taken);
	/* each path ran */
	MXP_CHECK(t, released[PH_RX] > 0 && released[PH_TICK] > 0 && released[PH_FINI] > 0);
}

static size_t
leg_size(const enum mxp_media_codec *c, unsigned n, unsigned ptime, unsigned max_payload)
{
	struct mxp_media_leg_params p;
	memset(&p, 0, sizeof(p));
	p.ptime_ms = (uint16_t)ptime;
	p.max_payload = (uint16_t)max_payload;
	p.event_pt = 101;
	p.cn_pt = 13;
	p.out_codec = (uint8_t)c[0];
	for (unsigned i = 0; i < n; i++) {
		p.pt_map[i].pt = sim_pt_of(c[i]);
		p.pt_map[i].codec = (uint8_t)c[i];
	}
	p.n_pt = (uint8_t)n;
	return mxp_media_leg_size(&p);
}

MXP_TEST(leg_and_mixer_sizes)
{
	static const enum mxp_media_codec g711[] = {MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMA};
	static const enum mxp_media_codec g722[] = {MXP_MEDIA_CODEC_G722};
	static const enum mxp_media_codec g722m[] = {MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_PCMU,
						     MXP_MEDIA_CODEC_PCMA};
	static const enum mxp_media_codec l16n[] = {MXP_MEDIA_CODEC_L16_8K};
	static const enum mxp_media_codec l16w[] = {MXP_MEDIA_CODEC_L16_16K};
	size_t s711 = leg_size(g711, 2, 20, 320);
	printf("#   leg (20 ms, 300 ms max delay, max_payload 320): G.711 %zu, G.722 %zu, "
	       "G.722+G.711 %zu, L16 8 kHz %zu, L16 16 kHz %zu bytes\n", s711,
	       leg_size(g722, 1, 20, 320), leg_size(g722m, 3, 20, 320), leg_size(l16n, 1, 20, 320),
	       leg_size(l16w, 1, 20, 320));
	printf("#   G.711 leg at ptime 10 / 30 / 40: %zu / %zu / %zu bytes\n",
	       leg_size(g711, 2, 10, 320), leg_size(g711, 2, 30, 320), leg_size(g711, 2, 40, 320));
	/* the target: a G.711 leg of the defaults fits in 2 KB */
	MXP_CHECK(t, s711 > 0 && s711 <= 2048);
	/* packets stay in the caller's buffers: the payload limit does not size a leg */
	MXP_CHECK_EQ(t, leg_size(g711, 2, 20, 1280), s711);
	MXP_CHECK_EQ(t, leg_size(l16w, 1, 20, 1280), leg_size(l16w, 1, 20, 320));
	/* a leg is sized by its widest codec: G.711 beside G.722 costs nothing */
	MXP_CHECK_EQ(t, leg_size(g722m, 3, 20, 320), leg_size(g722, 1, 20, 320));
	/*
	 * A mixer is its header, a talker slot per talker (private-mix state and encoder;
	 * the slots rounded up to a cache line) and two pointers per leg: the frame buffers
	 * are the thread's, whatever the talker count. So it grows by one slot per talker,
	 * and 1 KB and two cache lines cover the header (with its pointers to the slots) and
	 * the rounding.
	 */
	size_t slot = sizeof(struct media_talker);
	struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 1024, .max_talkers = 1};
	size_t one = mxp_media_mixer_size(&mp);
	for (unsigned n = 1; n <= MXP_MEDIA_MAX_TALKERS; n++) {
		mp.max_talkers = (uint8_t)n;
		size_t sz = mxp_media_mixer_size(&mp);
		if (n == 1 || n == 3 || n == 8)
			printf("#   mixer of 1024 legs, %u talkers: %zu bytes (talker slot %zu)\n", n,
			       sz, slot);
		size_t grown = sz - one, want = (n - 1) * slot;
		MXP_CHECK(t, grown + MEDIA_CACHE_LINE > want && grown < want + MEDIA_CACHE_LINE);
		MXP_CHECK(t, sz <= 2 * 1024 * sizeof(void *) + n * slot + 1024 + 2 * MEDIA_CACHE_LINE);
	}
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(played_packets_are_released_once),
	MXP_CASE(payload_offset_limits),
	MXP_CASE(late_and_stale_packets),
	MXP_CASE(restart_releases_what_was_queued),
	MXP_CASE(fini_returns_queued_and_deferred_packets),
	MXP_CASE(every_taken_buffer_released_exactly_once),
	MXP_CASE(leg_and_mixer_sizes),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
