/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/mp: the Mp interface's H.248 text encoding (ITU-T H.248.1 Annex B, MEGACO/3), the
 * subset doc/mp.md lists: parser for requests and replies, encoder (long or compact tokens),
 * H.248.8 error codes, the project's "mxp" package.
 *
 * The parser does not allocate and does not copy: a parsed ::mxp_mp_msg holds string views
 * (::mxp_mp_str) into the caller's buffer, which must outlive it. Descriptors and commands
 * live in fixed pools inside the message (limits below); going over a limit is an error
 * with a code, never a crash.
 */
#ifndef MXP_MP_H
#define MXP_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** UDP port of H.248 text (the MEGACO text port). */
#define MXP_MP_PORT 2944

/* Limits. Input beyond them is refused with an error (code and byte position). */
#define MXP_MP_MSG_MAX 8192    /**< bytes in one message */
#define MXP_MP_DEPTH_MAX 12    /**< nesting of braces */
#define MXP_MP_TRANS_MAX 8     /**< transactions per message */
#define MXP_MP_ACTIONS_MAX 16  /**< actions (contexts) per message */
#define MXP_MP_CMDS_MAX 64     /**< commands per message */
#define MXP_MP_STREAMS_MAX 2   /**< streams per command */
#define MXP_MP_PROPS_MAX 128   /**< properties, statistics, events per message */
#define MXP_MP_TEXT_MAX 160    /**< bytes of an error text we produce */

/** A view into the parsed buffer (not NUL-terminated). */
struct mxp_mp_str {
	const char *p;
	uint32_t len;
};

/** Context ids with a meaning (H.248.1 6.1.1): '-' NULL, '$' CHOOSE, '*' ALL. */
#define MXP_MP_CTX_NULL 0u
#define MXP_MP_CTX_CHOOSE 0xfffffffeu
#define MXP_MP_CTX_ALL 0xffffffffu
/** Largest context id a context can have. */
#define MXP_MP_CTX_MAX 0xfffffffdu

/** H.248.8 error codes lib/mp produces or the daemon is expected to use. */
enum mxp_mp_errcode {
	MXP_MP_E_SYNTAX = 400,            /**< Syntax error in message */
	MXP_MP_E_PROTOCOL = 401,          /**< Protocol error */
	MXP_MP_E_SYNTAX_TRANS = 403,      /**< Syntax error in transaction request */
	MXP_MP_E_VERSION = 406,           /**< Version not supported */
	MXP_MP_E_BAD_ID = 410,            /**< Incorrect identifier */
	MXP_MP_E_UNKNOWN_CTX = 411,       /**< The transaction refers to an unknown ContextID */
	MXP_MP_E_NO_CTX_IDS = 412,        /**< No ContextIDs available */
	MXP_MP_E_TOO_MANY_TRANS = 413,    /**< Number of transactions in message exceeds max */
	MXP_MP_E_UNKNOWN_ACTION = 421,    /**< Unknown action or illegal combination of actions */
	MXP_MP_E_SYNTAX_ACTION = 422,     /**< Syntax error in action */
	MXP_MP_E_UNKNOWN_TERM = 430,      /**< Unknown TerminationID */
	MXP_MP_E_NO_TERM_MATCH = 431,     /**< No TerminationID matched a wildcard */
	MXP_MP_E_OUT_OF_TERMS = 432,      /**< Out of TerminationIDs */
	MXP_MP_E_TERM_IN_CTX = 433,       /**< TerminationID is already in a context */
	MXP_MP_E_MAX_TERMS = 434,         /**< Max number of terminations in a context exceeded */
	MXP_MP_E_TERM_NOT_IN_CTX = 435,   /**< Termination ID is not in specified context */
	MXP_MP_E_UNKNOWN_PKG = 440,       /**< Unsupported or unknown package */
	MXP_MP_E_MISSING_DESC = 441,      /**< Missing remote or local descriptor */
	MXP_MP_E_SYNTAX_CMD = 442,        /**< Syntax error in command */
	MXP_MP_E_UNKNOWN_CMD = 443,       /**< Unsupported or unknown command */
	MXP_MP_E_UNKNOWN_DESC = 444,      /**< Unsupported or unknown descriptor */
	MXP_MP_E_UNKNOWN_PROP = 445,      /**< Unsupported or unknown property */
	MXP_MP_E_UNKNOWN_PARM = 446,      /**< Unsupported or unknown parameter */
	MXP_MP_E_DESC_ILLEGAL = 447,      /**< Descriptor not legal in this command */
	MXP_MP_E_DESC_TWICE = 448,        /**< Descriptor appears twice in a command */
	MXP_MP_E_BAD_VALUE = 449,         /**< Unsupported or unknown parameter or property value */
	MXP_MP_E_NO_SUCH_PROP = 450,      /**< No such property in this package */
	MXP_MP_E_PROP_TWICE = 456,        /**< Property appears twice in this descriptor */
	MXP_MP_E_MISSING_PARM = 457,      /**< Missing parameter in signal or event */
	MXP_MP_E_INTERNAL = 500,          /**< Internal software failure in the MG */
	MXP_MP_E_NOT_IMPL = 501,          /**< Not implemented */
	MXP_MP_E_NOT_READY = 502,         /**< Not ready */
	MXP_MP_E_UNAVAILABLE = 503,       /**< Service unavailable */
	MXP_MP_E_UNAUTHORIZED = 504,      /**< Command received from unauthorized entity */
	MXP_MP_E_RESOURCES = 510,         /**< Insufficient resources */
	MXP_MP_E_EVENT = 512,             /**< MG unequipped to detect requested Event */
	MXP_MP_E_SIGNAL = 513,            /**< MG unequipped to generate requested Signals */
	MXP_MP_E_MEDIA_TYPE = 515,        /**< Unsupported media type */
	MXP_MP_E_MODE = 517,              /**< Unsupported or invalid mode */
	MXP_MP_E_DM_SPACE = 519,          /**< Out of space to store digit map */
	MXP_MP_E_DM_UNDEF = 520,          /**< Digit Map undefined in the MG */
	MXP_MP_E_REPLY_TOO_BIG = 533,     /**< Response exceeds maximum transport PDU size */
};

/** The H.248.8 name of an error code ("Syntax error in message"), or "Unknown error". */
const char *mxp_mp_errcode_name(unsigned int code);

/** An error: H.248.8 code, byte position in the input, transaction it belongs to. */
struct mxp_mp_error {
	uint16_t code;
	uint32_t pos;           /**< byte offset in the message where it was detected */
	bool have_tid;          /**< the error belongs to transaction tid */
	uint32_t tid;
	char text[MXP_MP_TEXT_MAX]; /**< "line 3 col 14: expected '{' after Media" */
};

enum mxp_mp_trans_kind {
	MXP_MP_TRANS_REQUEST = 0,  /**< Transaction */
	MXP_MP_TRANS_REPLY,        /**< Reply */
	MXP_MP_TRANS_PENDING,      /**< Pending (TransactionPending) */
	MXP_MP_TRANS_ACK,          /**< TransactionResponseAck */
};

enum mxp_mp_cmd_type {
	MXP_MP_CMD_ADD = 0,
	MXP_MP_CMD_MODIFY,
	MXP_MP_CMD_MOVE,
	MXP_MP_CMD_SUBTRACT,
	MXP_MP_CMD_AUDIT_VALUE,
	MXP_MP_CMD_AUDIT_CAP,
	MXP_MP_CMD_NOTIFY,
	MXP_MP_CMD_SERVICE_CHANGE,
	MXP_MP_CMD_MAX
};

/** Long name of a command ("Add"). */
const char *mxp_mp_cmd_name(enum mxp_mp_cmd_type t);

enum mxp_mp_term_kind {
	MXP_MP_TERM_NAME = 0, /**< a termination id, in term */
	MXP_MP_TERM_CHOOSE,   /**< '$' */
	MXP_MP_TERM_ALL,      /**< '*' */
	MXP_MP_TERM_ROOT,     /**< ROOT */
};

enum mxp_mp_mode {
	MXP_MP_MODE_UNSET = 0,
	MXP_MP_MODE_SENDONLY,
	MXP_MP_MODE_RECVONLY,
	MXP_MP_MODE_SENDRECV,
	MXP_MP_MODE_INACTIVE,
	MXP_MP_MODE_LOOPBACK,
};

/** What an Audit descriptor asks for (bits). */
enum mxp_mp_audit {
	MXP_MP_AUDIT_MEDIA = 1u << 0,
	MXP_MP_AUDIT_EVENTS = 1u << 1,
	MXP_MP_AUDIT_SIGNALS = 1u << 2,
	MXP_MP_AUDIT_STATS = 1u << 3,
	MXP_MP_AUDIT_OBSEVENTS = 1u << 4,
	MXP_MP_AUDIT_PACKAGES = 1u << 5,
	MXP_MP_AUDIT_DIGITMAP = 1u << 6,
	MXP_MP_AUDIT_EVBUFFER = 1u << 7,
};

/** A property, statistic or event: "pkg/name" [op value] [{ params }]. */
struct mxp_mp_prop {
	struct mxp_mp_str name;   /**< "mxp/mode", "nt/os", "mxp/authfail" */
	struct mxp_mp_str value;  /**< raw value (quotes kept), or params of an event */
	char op;                  /**< '=', '#' (not equal), '>', '<', or 0 without value */
};

/** A run of properties in the message's pool. */
struct mxp_mp_props {
	uint16_t first, n;
};

struct mxp_mp_stream {
	uint16_t id;              /**< Stream = id; 1 when the Media descriptor names none */
	enum mxp_mp_mode mode;
	bool has_local, has_remote, has_stats;
	struct mxp_mp_str local;  /**< SDP text of Local { }, escapes kept */
	struct mxp_mp_str remote; /**< SDP text of Remote { } */
	struct mxp_mp_props lc_props;  /**< LocalControl properties other than Mode */
	struct mxp_mp_props stats;     /**< Statistics { } of the stream */
};

struct mxp_mp_cmd {
	enum mxp_mp_cmd_type type;
	bool optional;            /**< O- */
	bool wildcard_reply;      /**< W- */
	enum mxp_mp_term_kind term_kind;
	struct mxp_mp_str term;   /**< the id when term_kind is NAME (or the raw text) */
	bool has_media;
	uint8_t nstreams;
	struct mxp_mp_stream streams[MXP_MP_STREAMS_MAX];
	struct mxp_mp_props ts_props;  /**< TerminationState properties */
	bool has_events;
	uint32_t events_rid;           /**< Events = rid */
	struct mxp_mp_props events;    /**< requested events, or observed events (Notify) */
	struct mxp_mp_props stats;     /**< Statistics { } at termination level */
	bool has_audit;
	uint32_t audit;                /**< enum mxp_mp_audit bits */
	bool has_signals;
	struct mxp_mp_str signals;     /**< raw Signals { } body (mxp_mp_signals_parse()) */
	bool has_packages;
	struct mxp_mp_props packages;  /**< Packages { name-version, ... }: name, value the
					*   version (replies to audits) */
	struct mxp_mp_props digitmaps; /**< DigitMap descriptors (H.248.1 7.1.14): name (length
					*   0 when unnamed), value the body inside its braces
					*   (op '='), or no value (op 0: "DigitMap = name") */
	/* ServiceChange */
	bool has_services;
	struct mxp_mp_str sc_method, sc_reason, sc_address, sc_profile, sc_mgcid;
	uint32_t sc_delay, sc_version;
	/* in replies */
	bool has_error;
	uint16_t err_code;
	struct mxp_mp_str err_text;    /**< without the quotes */
};

struct mxp_mp_action {
	uint32_t ctx;                  /**< id, or MXP_MP_CTX_NULL/CHOOSE/ALL */
	uint16_t first_cmd, ncmds;
	bool has_error;                /**< reply: Error after (or instead of) commands */
	uint16_t err_code;
	struct mxp_mp_str err_text;
};

struct mxp_mp_trans {
	enum mxp_mp_trans_kind kind;
	uint32_t id;
	uint32_t id_last;              /**< TransactionResponseAck ranges: id..id_last */
	bool imm_ack;                  /**< reply: ImmAckRequired */
	uint16_t first_action, nactions;
	bool has_error;                /**< reply: Error instead of actions */
	uint16_t err_code;
	struct mxp_mp_str err_text;
};

/** A message: header, transactions, and the pools its parts live in. */
struct mxp_mp_msg {
	uint8_t version;               /**< 3 (1 and 2 are accepted on input) */
	struct mxp_mp_str mid;         /**< message identifier, e.g. "[192.0.2.1]:2944" */
	bool has_error;                /**< message-level Error instead of transactions */
	uint16_t err_code;
	struct mxp_mp_str err_text;
	uint16_t ntrans, nactions, ncmds, nprops;
	struct mxp_mp_trans trans[MXP_MP_TRANS_MAX];
	struct mxp_mp_action actions[MXP_MP_ACTIONS_MAX];
	struct mxp_mp_cmd cmds[MXP_MP_CMDS_MAX];
	struct mxp_mp_prop props[MXP_MP_PROPS_MAX];
};

/**
 * Parse one H.248 text message.
 * @param buf, len  the UDP payload; the message keeps views into it
 * @param msg       filled on success (and partly on failure)
 * @param err       on failure: code (400 syntax, 401, 406 version, 413, 442, 444, 447, 448,
 *                  449, 501, 510 over a limit), position, text; have_tid/tid when the
 *                  failing transaction's id was read, so the caller can reply to it
 * @return 0, or -EINVAL (syntax or semantics), -E2BIG (a limit), -ENOTSUP (501).
 */
int mxp_mp_parse(const char *buf, size_t len, struct mxp_mp_msg *msg, struct mxp_mp_error *err);

/** Token style of the encoder. */
enum mxp_mp_style {
	MXP_MP_STYLE_LONG = 0,  /**< "Transaction", "Context", indented lines */
	MXP_MP_STYLE_COMPACT,   /**< "T", "C", no optional whitespace */
};

/**
 * Encode a message (request, reply, Pending, Notify, ServiceChange, errors) as text.
 * '}' inside SDP is escaped as "\}"; error texts are quoted (a '"' in them is replaced by
 * '\'').
 * @return bytes written (NUL-terminated when room remains), -ENOSPC, or -EINVAL (a field
 *         out of range, e.g. a Pending with actions).
 */
int mxp_mp_encode(const struct mxp_mp_msg *msg, enum mxp_mp_style style, char *out, size_t cap);

/* Builders over the pools: they return NULL when a pool is full. */

/** Reset a message; mid is copied as a view (keep it alive). */
void mxp_mp_msg_init(struct mxp_mp_msg *msg, const char *mid);
struct mxp_mp_trans *mxp_mp_msg_add_trans(struct mxp_mp_msg *msg, enum mxp_mp_trans_kind kind,
					  uint32_t id);
/** Add an action to the message's last transaction. */
struct mxp_mp_action *mxp_mp_msg_add_action(struct mxp_mp_msg *msg, uint32_t ctx);
/** Add a command to the message's last action; term NULL for '$', "*" for ALL, "ROOT". */
struct mxp_mp_cmd *mxp_mp_msg_add_cmd(struct mxp_mp_msg *msg, enum mxp_mp_cmd_type type,
				      const char *term);
/** Append a property to a run (the run must be the last one added to the pool). */
struct mxp_mp_prop *mxp_mp_msg_add_prop(struct mxp_mp_msg *msg, struct mxp_mp_props *run,
					const char *name, char op, const char *value);
/** A view of a NUL-terminated string. */
struct mxp_mp_str mxp_mp_str_c(const char *s);
/** A decimal number of 1..10 digits, at most max: true with *v set, else false. */
bool mxp_mp_str_uint(struct mxp_mp_str s, uint32_t max, uint32_t *v);
/** Case-insensitive comparison of a view with a C string. */
bool mxp_mp_str_eq(struct mxp_mp_str s, const char *c);

/* ------------------------------------------------------------------------------------------
 * The project's package "mxp" (doc/mp.md): conference and leg properties.
 */

enum mxp_mp_conf_mode {
	MXP_MP_CONF_UNSET = 0,
	MXP_MP_CONF_MIX,
	MXP_MP_CONF_SWITCH,
	MXP_MP_CONF_FORWARD,
};

/** Properties of the mxp package found in one command. */
struct mxp_mp_pkg {
	enum mxp_mp_conf_mode mode;   /**< mxp/mode=mix|switch|forward (context) */
	uint8_t topn;                 /**< mxp/topn=1..16 (context, switch and mix) */
	int8_t strict;                /**< mxp/strict=on|off (leg); -1 unset */
	int8_t asymmetric;            /**< mxp/asymmetric=on|off (leg): any authenticated
				       *   source, no latching; -1 unset */
	int8_t plain_rtp;             /**< mxp/plainrtp=on|off (leg, lab only); -1 unset */
	struct mxp_mp_str keygroup;   /**< mxp/keygroup=NAME (leg) */
	uint32_t authfail_threshold;  /**< mxp/afthresh=N (leg): Notify after N failures */
	int8_t mute;                  /**< mxp/mute=on|off (leg): nothing it sends is forwarded */
	struct mxp_mp_str floor;      /**< mxp/floor=TERMID|open (context): only TERMID is
				       *   forwarded ("open": everyone) */
	struct mxp_mp_str record;     /**< mxp/record=NAME.wav|off (context, mix): record the
				       *   shared mix to NAME.wav in [media] recording_dir */
	uint32_t recmax;              /**< mxp/recmax=S (with mxp/record): stop after S s */
	int8_t cascade;               /**< mxp/cascade=on|off (leg, mix): a cascade leg to
				       *   another MRFP of the conference; -1 unset */
	uint32_t present;             /**< bit i set when property i (enum order) was given */
};

#define MXP_MP_PKG_MODE 0x01
#define MXP_MP_PKG_TOPN 0x02
#define MXP_MP_PKG_STRICT 0x04
#define MXP_MP_PKG_PLAINRTP 0x08
#define MXP_MP_PKG_KEYGROUP 0x10
#define MXP_MP_PKG_AFTHRESH 0x20
#define MXP_MP_PKG_MUTE 0x40
#define MXP_MP_PKG_FLOOR 0x80
#define MXP_MP_PKG_ASYMMETRIC 0x100
#define MXP_MP_PKG_RECORD 0x200
#define MXP_MP_PKG_RECMAX 0x400
#define MXP_MP_PKG_CASCADE 0x800

/**
 * Collect and check the mxp package properties of a command (TerminationState and every
 * stream's LocalControl). Unknown packages: 440; unknown mxp properties: 450; bad values:
 * 449; the same property twice: 456.
 * @return 0 or -EINVAL with err filled (pos = the property's offset from base).
 */
int mxp_mp_pkg_get(const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *cmd,
		   const char *base, struct mxp_mp_pkg *pkg, struct mxp_mp_error *err);

/** Events of the mxp package the MRFP notifies (doc/mp.md). */
#define MXP_MP_EV_AUTHFAIL "mxp/authfail"  /**< SRTP authentication failures over threshold */
#define MXP_MP_EV_KEYLIMIT "mxp/keylimit"  /**< a key reached its usage limit */
#define MXP_MP_EV_SSRC "mxp/ssrc"          /**< a participant's SSRC changed */
#define MXP_MP_EV_DTMF "mxp/dtmf"          /**< DTMF digit (RFC 4733) received */

/* ------------------------------------------------------------------------------------------
 * Profiles (ServiceChangeProfile, H.248.1 7.2.8.1.7): "name/version".
 */

/** The 3GPP Mp profile (TS 29.333 5.1) and its version, as the MRFP announces it. */
#define MXP_MP_PROFILE_3GPP_NAME "threegmrfp"
#define MXP_MP_PROFILE_3GPP_VERSION 1u
/** The project's own profile (doc/mp.md: the H.248 subset with package mxp only). */
#define MXP_MP_PROFILE_MXP_NAME "mxp"
#define MXP_MP_PROFILE_MXP_VERSION 1u

/**
 * Split a ServiceChangeProfile value "name/version" (H.248.1 B: NAME "/" Version).
 * @return 0 with name and version set, -EINVAL when it is not of that form (version 1..99).
 */
int mxp_mp_profile_split(struct mxp_mp_str v, struct mxp_mp_str *name, uint32_t *version);

/* ------------------------------------------------------------------------------------------
 * Signals descriptors (H.248.1 7.1.11, B.2 signalsDescriptor): parsed from the raw body a
 * command keeps (mxp_mp_cmd.signals). Views into the message, nothing allocated.
 */

#define MXP_MP_SIGS_MAX 8            /**< signals in one descriptor (lists included) */
#define MXP_MP_SIG_PARAMS_MAX 8      /**< package parameters of one signal */

enum mxp_mp_sig_type {
	MXP_MP_SIG_DEFAULT = 0,      /**< the package's default type */
	MXP_MP_SIG_ONOFF,            /**< OnOff/OO: until stopped */
	MXP_MP_SIG_TIMEOUT,          /**< TimeOut/TO: until Duration (or the package's) */
	MXP_MP_SIG_BRIEF,            /**< Brief/BR: plays once, short */
};

/** NotifyCompletion reasons (bits). */
#define MXP_MP_NC_TIMEOUT 0x01       /**< TimeOut/TO: it ended by itself */
#define MXP_MP_NC_INTBYEVENT 0x02    /**< InterruptByEvent/IBE */
#define MXP_MP_NC_INTBYSIGS 0x04     /**< InterruptByNewSignalsDescr/IBS */
#define MXP_MP_NC_OTHER 0x08         /**< OtherReason/OR */
#define MXP_MP_NC_ITERATION 0x10     /**< Iteration/IT */

/** A package parameter of a signal: name = value (quotes and brackets kept). */
struct mxp_mp_sig_param {
	struct mxp_mp_str name;      /**< "an", "noc", "tl" */
	struct mxp_mp_str value;
};

/** One signal request. */
struct mxp_mp_signal {
	struct mxp_mp_str name;      /**< "an/apf", "cg/rt" */
	uint32_t list_id;            /**< SignalList = id it belongs to (in_list) */
	bool in_list;
	enum mxp_mp_sig_type type;
	bool has_duration;
	uint32_t duration_ms;        /**< Duration/DR (milliseconds) */
	uint8_t notify;              /**< NotifyCompletion reasons, MXP_MP_NC_* */
	bool keep_active;            /**< KeepActive/KA */
	uint16_t stream;             /**< Stream/ST = id, 0 when not given */
	bool has_rid;
	uint32_t rid;                /**< RequestID/RQ (v3) */
	uint8_t direction;           /**< SPADirection: 0 unset, 1 external, 2 internal, 3 both */
	uint8_t nparams;
	struct mxp_mp_sig_param params[MXP_MP_SIG_PARAMS_MAX];
};

struct mxp_mp_signals {
	uint8_t n;                   /**< 0: an empty descriptor (stop every signal) */
	struct mxp_mp_signal sig[MXP_MP_SIGS_MAX];
};

/**
 * Parse the body of a Signals descriptor (without its braces).
 * @param body  the raw body (mxp_mp_cmd.signals)
 * @param base  the message text (error positions), may be NULL
 * @param out   filled; views into body
 * @param err   on failure: 400 syntax, 510 over a limit, 449 a bad value of a generic
 *              parameter, 448 a parameter twice
 * @return 0 or -EINVAL / -E2BIG with err filled.
 */
int mxp_mp_signals_parse(struct mxp_mp_str body, const char *base, struct mxp_mp_signals *out,
			 struct mxp_mp_error *err);

/** The value of a signal's package parameter, or a view of length 0. */
struct mxp_mp_str mxp_mp_signal_param(const struct mxp_mp_signal *s, const char *name);

/* ------------------------------------------------------------------------------------------
 * Digit maps (H.248.1 7.1.14; text encoding B.2 digitMapValue): compiled once, matched one
 * event at a time by a caller that owns the clock. Events are the digit map letters
 * 0-9 and A-K; the DTMF package maps its tones onto them (H.248.1 E.6): d0..d9 -> 0..9,
 * * -> E, # -> F, A..D -> A..D.
 */

#define MXP_MP_DM_ALTS_MAX 16       /**< alternatives (digit strings) of one digit map */
#define MXP_MP_DM_POS_MAX 128       /**< positions and timer letters over all alternatives */
#define MXP_MP_DM_DIGITS_MAX 64     /**< events a dial string holds */
#define MXP_MP_DM_NAME_MAX 64       /**< characters of a digitMapName (B.2 NAME) */

/** Timers a digit map that gives none runs with (T, S, L in seconds, Z in 100 ms). */
#define MXP_MP_DM_T_DEFAULT 16
#define MXP_MP_DM_S_DEFAULT 4
#define MXP_MP_DM_L_DEFAULT 16
#define MXP_MP_DM_Z_DEFAULT 10

/** Flags of a position (mxp_mp_dm_pos.flags). */
#define MXP_MP_DM_F_DOT 0x01        /**< "x.": zero or more occurrences */
#define MXP_MP_DM_F_LONG 0x02       /**< "Z": a long-duration event only */
#define MXP_MP_DM_F_TIMER_T 0x04    /**< the letter T: from here the start timer */
#define MXP_MP_DM_F_TIMER_S 0x08    /**< the letter S: from here the short timer */
#define MXP_MP_DM_F_TIMER_L 0x10    /**< the letter L: from here the long timer */
#define MXP_MP_DM_F_TIMERS (MXP_MP_DM_F_TIMER_T | MXP_MP_DM_F_TIMER_S | MXP_MP_DM_F_TIMER_L)

/** Which timers the digit map gave (mxp_mp_digitmap.given). */
#define MXP_MP_DM_GIVEN_T 0x1
#define MXP_MP_DM_GIVEN_S 0x2
#define MXP_MP_DM_GIVEN_L 0x4
#define MXP_MP_DM_GIVEN_Z 0x8

/** One position of a digit string: the events it matches, or a timer letter (set 0). */
struct mxp_mp_dm_pos {
	uint32_t set;               /**< bit i: event i (0-9 = digits, 10-20 = A-K) */
	uint8_t flags;              /**< MXP_MP_DM_F_* */
	uint8_t alt;                /**< the alternative it belongs to */
};

/** A compiled digit map: alternatives are runs of positions. */
struct mxp_mp_digitmap {
	uint8_t t, s, l;            /**< start, short and long timers, seconds (0: none) */
	uint8_t z;                  /**< long-duration threshold, 100 ms units */
	uint8_t given;              /**< MXP_MP_DM_GIVEN_*: timers the text gave */
	uint8_t nalts, npos;
	uint8_t alt_first[MXP_MP_DM_ALTS_MAX + 1]; /**< alternative k: positions
						    *   alt_first[k] .. alt_first[k+1]-1 */
	struct mxp_mp_dm_pos pos[MXP_MP_DM_POS_MAX];
};

/**
 * Compile a digitMapValue: ["T:" t ","] ["S:" s ","] ["L:" l ","] ["Z:" z ","] digitMap,
 * digitMap = digitString / "(" digitString *("|" digitString) ")"; a digitString is
 * positions (a letter, "x", "[1-4B]") each optionally followed by "." and optionally
 * preceded by "Z", and the timer letters T, S, L. Case-insensitive.
 * @param value  the text inside the descriptor's braces
 * @param base   text the value lies in (positions and line/column in err), or NULL
 *               (positions from value.p)
 * @param dm     filled on success
 * @param err    on failure: 400 syntax (a character that is no digit map letter, a range
 *               backwards, a timer twice, an alternative without an event position), 519
 *               more than MXP_MP_DM_ALTS_MAX alternatives or MXP_MP_DM_POS_MAX positions
 * @return 0, or -EINVAL / -E2BIG (519) with err filled.
 */
int mxp_mp_digitmap_compile(struct mxp_mp_str value, const char *base,
			    struct mxp_mp_digitmap *dm, struct mxp_mp_error *err);

/**
 * Write a compiled digit map back as a digitMapValue (the timers it gave, then the
 * alternatives): what an audit reports.
 * @return bytes written (NUL-terminated), or -ENOSPC.
 */
int mxp_mp_digitmap_format(const struct mxp_mp_digitmap *dm, char *out, size_t cap);

/** A digitMapName (B.2 NAME: a letter, then up to 63 letters, digits or '_'). */
bool mxp_mp_digitmap_name_ok(struct mxp_mp_str name);

/**
 * The DigitMap parameter of an event's parameters (B.2 eventDM: "DigitMap = name" or
 * "DigitMap = { value }", compact "DM"), other parameters skipped.
 * @param params  the event's parameter text (inside its braces), may be empty
 * @param name, value  set to what was given (the other one to length 0; both 0: none)
 * @return 0, or -EINVAL with err (400) when the parameter is malformed.
 */
int mxp_mp_event_digitmap(struct mxp_mp_str params, struct mxp_mp_str *name,
			  struct mxp_mp_str *value, struct mxp_mp_error *err);

/** How a digit collection ended (H.248.1 E.6.2 dd/ce Meth), or that it goes on. */
enum mxp_mp_dm_result {
	MXP_MP_DM_MORE = 0,         /**< collecting */
	MXP_MP_DM_UM,               /**< unambiguous match */
	MXP_MP_DM_PM,               /**< partial match: a timer or an unmatched event ended it */
	MXP_MP_DM_FM,               /**< full match: a timer or an unmatched event ended it */
};

/** "UM", "PM", "FM" ("" for MXP_MP_DM_MORE). */
const char *mxp_mp_dm_method(enum mxp_mp_dm_result r);

/** The state of one collection (H.248.1 7.1.14.5): the current dial string and timer. */
struct mxp_mp_dm_state {
	uint64_t act[(MXP_MP_DM_POS_MAX + MXP_MP_DM_ALTS_MAX + 63) / 64]; /**< active positions;
						     *   bit npos + k: alternative k complete */
	uint64_t deadline_ms;       /**< when the running timer expires; 0: none runs */
	uint8_t ndigits;
	bool done;                  /**< completed: further events and timers are ignored */
	char timer;                 /**< 'T', 'S', 'L' (the running timer), 0 none */
	char digits[MXP_MP_DM_DIGITS_MAX + 1]; /**< the dial string (digit map letters) */
};

/** Start a collection at now_ms (the start timer runs). */
void mxp_mp_dm_start(const struct mxp_mp_digitmap *dm, struct mxp_mp_dm_state *st,
		     uint64_t now_ms);

/**
 * An event: ev a digit map letter ('0'-'9', 'A'-'K', either case), long_dur when it lasted
 * at least the Z threshold (a long event no "Z" position takes counts as a short one).
 * An event that matches no alternative ends the collection (FM when the dial string matched
 * an alternative fully, PM otherwise) and is not added to the dial string.
 * @return MXP_MP_DM_MORE while collecting (a timer runs), or how it completed.
 */
enum mxp_mp_dm_result mxp_mp_dm_event(const struct mxp_mp_digitmap *dm,
				      struct mxp_mp_dm_state *st, char ev, bool long_dur,
				      uint64_t now_ms);

/**
 * The clock moved to now_ms: completes with FM or PM when the running timer expired.
 * @return MXP_MP_DM_MORE, or how it completed.
 */
enum mxp_mp_dm_result mxp_mp_dm_timer(const struct mxp_mp_digitmap *dm,
				      struct mxp_mp_dm_state *st, uint64_t now_ms);

/** The digit map letter of an RFC 4733 / DTMF character ('*' -> 'E', '#' -> 'F'), or 0. */
char mxp_mp_dm_letter(char dtmf);

/** Set err to code at pos with a formatted text; returns -EINVAL. */
int mxp_mp_error_set(struct mxp_mp_error *err, unsigned int code, const char *base, size_t pos,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#ifdef __cplusplus
}
#endif
#endif /* MXP_MP_H */
