// trace-threads: the creating thread's native stack, read with a per-address cache of DWARF call-frame rules.
// Included by ttpreload.c (one translation unit; docs/pthread-log.md, section Cost).
//
// Why not backtrace(3) alone: libgcc's unwinder finds and interprets each frame's DWARF call-frame information
// (.eh_frame) again on every call: about 1.3 µs for the 5 frames of a .NET thread start on the reference VM, more
// than all the rest of the hook. A creation site is the same few return addresses again and again, so this unwinder
// interprets a return address's rules once, keeps the result (how to find the caller's frame from this one: the
// canonical frame address as rsp or rbp plus an offset, where the return address and the caller's rbp were saved) in
// a lock-free table, and from then on a frame costs a table lookup and two loads.
//
// It computes exactly what backtrace(3) reports, and gives way to it wherever it could not:
// - a return address in no module (jitted code) is reported and ends the stack, as libgcc's unwinder does;
// - a frame whose rules this reader does not follow (DWARF expressions, signal frames, a frame defined through
//   another register, an .eh_frame_hdr without a binary-search table, a module _dl_find_object does not know) makes
//   the whole creation use backtrace(3), and the address is remembered as such so that the check costs one lookup;
// - every memory read is checked against the creating thread's stack bounds first (a wrong rule can produce a wrong
//   frame, never a fault), and a frame that does not move up the stack ends the walk;
// - at initialisation the two unwinders read the same stack and must agree, or this one is switched off;
//   TRACE_THREADS_PTHREAD_VERIFY=1 compares them on every creation and counts disagreements in the log's header.
// Modules are found with _dl_find_object (glibc 2.35+: lock-free, no system call, made for unwinders), or before it
// with dl_iterate_phdr, once per return address. x86-64 only; other architectures use backtrace(3). A library unloaded and another loaded at the same address would
// keep the first one's rules (a wrong frame, never a fault); .NET does not unload native libraries.
#pragma once

#if defined(__x86_64__)
#define TT_FAST_UNWIND 1
#include <link.h>

#ifdef DLFO_STRUCT_HAS_EH_DBASE
typedef int (*tt_find_object_fn)(void *, struct dl_find_object *);
static tt_find_object_fn tt_find_object;
#endif
static int tt_fast_unwind_ok; // set by tt_unwind_init once the self-check passed

struct tt_phdr_query {
    uintptr_t target;
    int found;
    const uint8_t *hdr;
};

static int tt_phdr_callback(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct tt_phdr_query *q = (struct tt_phdr_query *)data;
    const uint8_t *hdr = NULL;
    int inside = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && q->target >= start && q->target - start < ph->p_memsz) inside = 1;
        else if (ph->p_type == PT_GNU_EH_FRAME) hdr = (const uint8_t *)start;
    }
    if (!inside) return 0;
    q->found = 1;
    q->hdr = hdr;
    return 1;
}

// Whether a module maps `target` (0: none, jitted code), and its .eh_frame_hdr in *hdr (NULL when it has none).
// _dl_find_object (glibc 2.35+) is lock-free; before it, dl_iterate_phdr takes the loader's lock, as libgcc's own
// unwinder does for every frame there. Either runs once per return address: the rule it leads to is cached.
static int tt_module_of(uintptr_t target, const uint8_t **hdr) {
#ifdef DLFO_STRUCT_HAS_EH_DBASE
    if (tt_find_object) {
        struct dl_find_object found;
        if (tt_find_object((void *)target, &found) != 0) return 0;
        *hdr = (const uint8_t *)found.dlfo_eh_frame;
        return 1;
    }
#endif
    struct tt_phdr_query q = {target, 0, NULL};
    dl_iterate_phdr(tt_phdr_callback, &q);
    *hdr = q.hdr;
    return q.found;
}

// A rule, packed into 64 bits so that it is published with one store: kind (2 bits), CFA register is rbp (1), rbp saved
// (1), return address offset from the CFA in 8-byte units (signed 8 bits), rbp's offset from the CFA (signed 16), the
// CFA's offset from its register (signed 32).
enum tt_rule_kind { TT_RULE_NONE = 0, TT_RULE_FRAME = 1, TT_RULE_LAST = 2, TT_RULE_GIVE_UP = 3 };
#define TT_RULES 8192
#define TT_RULE_PROBES 32
struct tt_rule_slot {
    atomic_uintptr_t pc;
    _Atomic uint64_t rule;
};
static struct tt_rule_slot tt_rules[TT_RULES];

struct tt_frame_rule {
    enum tt_rule_kind kind;
    int cfa_is_rbp;
    int rbp_saved;
    int ra_offset;
    int rbp_offset;
    int32_t cfa_offset;
};

static uint64_t tt_pack_rule(const struct tt_frame_rule *r) {
    return (uint64_t)r->kind | (uint64_t)(r->cfa_is_rbp & 1) << 2 | (uint64_t)(r->rbp_saved & 1) << 3 |
           (uint64_t)(uint8_t)(int8_t)(r->ra_offset / 8) << 8 | (uint64_t)(uint16_t)(int16_t)r->rbp_offset << 16 |
           (uint64_t)(uint32_t)r->cfa_offset << 32;
}

static struct tt_frame_rule tt_unpack_rule(uint64_t v) {
    struct tt_frame_rule r;
    r.kind = (enum tt_rule_kind)(v & 3);
    r.cfa_is_rbp = (int)(v >> 2 & 1);
    r.rbp_saved = (int)(v >> 3 & 1);
    r.ra_offset = (int8_t)(uint8_t)(v >> 8) * 8;
    r.rbp_offset = (int16_t)(uint16_t)(v >> 16);
    r.cfa_offset = (int32_t)(uint32_t)(v >> 32);
    return r;
}

// ---- reading .eh_frame (the System V x86-64 ABI's DWARF call-frame information, as GCC and LLVM emit it) ----

struct tt_reader {
    const uint8_t *p;
    const uint8_t *end;
    int bad;
};

static uint64_t tt_uleb(struct tt_reader *r) {
    uint64_t v = 0;
    for (int shift = 0; r->p < r->end && shift < 64; shift += 7) {
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    r->bad = 1;
    return 0;
}

static int64_t tt_sleb(struct tt_reader *r) {
    int64_t v = 0;
    int shift = 0;
    uint8_t b = 0x80;
    while (r->p < r->end && shift < 64 && (b & 0x80)) {
        b = *r->p++;
        v |= (int64_t)(b & 0x7f) << shift;
        shift += 7;
    }
    if (b & 0x80) {
        r->bad = 1;
        return 0;
    }
    if (shift < 64 && (b & 0x40)) v |= -((int64_t)1 << shift);
    return v;
}

static uint64_t tt_fixed(struct tt_reader *r, int size) {
    if (r->end - r->p < size) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, r->p, (size_t)size); // little-endian
    r->p += size;
    return v;
}

// A pointer in the DW_EH_PE encoding `enc`: absolute or pc-relative, or data-relative to `data_base`; others (text-,
// function-relative, aligned) are not emitted on x86-64 Linux and are refused.
static uintptr_t tt_encoded(struct tt_reader *r, uint8_t enc, uintptr_t data_base) {
    const uint8_t *at = r->p;
    uint64_t v;
    switch (enc & 0x0f) {
    case 0x00: v = tt_fixed(r, 8); break;
    case 0x01: v = tt_uleb(r); break;
    case 0x02: v = tt_fixed(r, 2); break;
    case 0x03: v = tt_fixed(r, 4); break;
    case 0x04: v = tt_fixed(r, 8); break;
    case 0x09: v = (uint64_t)tt_sleb(r); break;
    case 0x0a: v = (uint64_t)(int64_t)(int16_t)tt_fixed(r, 2); break;
    case 0x0b: v = (uint64_t)(int64_t)(int32_t)tt_fixed(r, 4); break;
    case 0x0c: v = tt_fixed(r, 8); break;
    default: r->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += (uintptr_t)at; break;
    case 0x30: v += data_base; break;
    default: r->bad = 1; return 0;
    }
    if (enc & 0x80) r->bad = 1; // indirect: only personality routines use it, and they are skipped, not read
    return (uintptr_t)v;
}

// The rules in effect at `target` (a return address minus one) for rbp and the return address, in DWARF register
// numbers 6 and 16; the CFA as rsp (7) or rbp (6) plus an offset.
struct tt_cfa_state {
    int cfa_reg;
    int64_t cfa_offset;
    int rbp_how, ra_how; // 0 same value, 1 saved at CFA + offset, 2 undefined
    int64_t rbp_offset, ra_offset;
};

enum { TT_SAME = 0, TT_AT = 1, TT_UNDEFINED = 2 };

// Runs call-frame instructions from `r` until the location passes `target` (when `limit`). Returns 0 for an
// instruction this reader does not follow for the registers it needs.
static int tt_run_cfa(struct tt_reader *r, struct tt_cfa_state *s, const struct tt_cfa_state *initial, uint64_t code_align,
                      int64_t data_align, int ra_reg, uintptr_t loc, uintptr_t target, int limit) {
    struct tt_cfa_state stack[8];
    int depth = 0;
    while (r->p < r->end && !r->bad) {
        uint8_t op = *r->p++;
        uint64_t reg = 0;
        int64_t off = 0;
        uintptr_t advance = 0;
        int set_reg = 0, how = 0;
        switch (op & 0xc0) {
        case 0x40: advance = (uintptr_t)(op & 0x3f) * code_align; break;
        case 0x80: reg = op & 0x3f; off = (int64_t)tt_uleb(r) * data_align; set_reg = 1; how = TT_AT; break;
        case 0xc0: reg = op & 0x3f; set_reg = 2; break;
        default:
            switch (op) {
            case 0x00: break;                                                         // nop
            case 0x02: advance = tt_fixed(r, 1) * code_align; break;                  // advance_loc1
            case 0x03: advance = tt_fixed(r, 2) * code_align; break;                  // advance_loc2
            case 0x04: advance = tt_fixed(r, 4) * code_align; break;                  // advance_loc4
            case 0x05: reg = tt_uleb(r); off = (int64_t)tt_uleb(r) * data_align; set_reg = 1; how = TT_AT; break;
            case 0x06: reg = tt_uleb(r); set_reg = 2; break;                          // restore_extended
            case 0x07: reg = tt_uleb(r); set_reg = 1; how = TT_UNDEFINED; break;      // undefined
            case 0x08: reg = tt_uleb(r); set_reg = 1; how = TT_SAME; break;           // same_value
            case 0x09:                                                                // register
                reg = tt_uleb(r);
                tt_uleb(r);
                if (reg == 6 || reg == (uint64_t)ra_reg) return 0;
                break;
            case 0x0a:                                                                // remember_state
                if (depth == 8) return 0;
                stack[depth++] = *s;
                break;
            case 0x0b:                                                                // restore_state
                if (depth == 0) return 0;
                {
                    // The CFA is not part of the remembered state's restore in GCC's reading either way; keep DWARF's.
                    *s = stack[--depth];
                }
                break;
            case 0x0c: s->cfa_reg = (int)tt_uleb(r); s->cfa_offset = (int64_t)tt_uleb(r); break;   // def_cfa
            case 0x0d: s->cfa_reg = (int)tt_uleb(r); break;                                         // def_cfa_register
            case 0x0e: s->cfa_offset = (int64_t)tt_uleb(r); break;                                  // def_cfa_offset
            case 0x0f: return 0;                                                                    // def_cfa_expression
            case 0x10: case 0x16: {                                                                 // (val_)expression
                reg = tt_uleb(r);
                uint64_t len = tt_uleb(r);
                if (reg == 6 || reg == (uint64_t)ra_reg || len > (uint64_t)(r->end - r->p)) return 0;
                r->p += len;
                break;
            }
            case 0x11: reg = tt_uleb(r); off = tt_sleb(r) * data_align; set_reg = 1; how = TT_AT; break; // offset_extended_sf
            case 0x12: s->cfa_reg = (int)tt_uleb(r); s->cfa_offset = tt_sleb(r) * data_align; break;     // def_cfa_sf
            case 0x13: s->cfa_offset = tt_sleb(r) * data_align; break;                                   // def_cfa_offset_sf
            case 0x14: case 0x15:                                                                        // val_offset(_sf)
                reg = tt_uleb(r);
                if (op == 0x14) tt_uleb(r); else tt_sleb(r);
                if (reg == 6 || reg == (uint64_t)ra_reg) return 0;
                break;
            case 0x2e: tt_uleb(r); break;                                                                // GNU_args_size
            case 0x2f: reg = tt_uleb(r); off = -(int64_t)tt_uleb(r) * data_align; set_reg = 1; how = TT_AT; break;
            default: return 0; // set_loc, vendor extensions
            }
        }
        if (advance) {
            loc += advance;
            if (limit && loc > target) return !r->bad;
        }
        if (set_reg && (reg == 6 || reg == (uint64_t)ra_reg)) {
            if (set_reg == 2) { // restore: the CIE's rule
                if (!initial) return 0;
                if (reg == 6) s->rbp_how = initial->rbp_how, s->rbp_offset = initial->rbp_offset;
                else s->ra_how = initial->ra_how, s->ra_offset = initial->ra_offset;
            } else if (reg == 6) {
                s->rbp_how = how, s->rbp_offset = off;
            } else {
                s->ra_how = how, s->ra_offset = off;
            }
        }
    }
    return !r->bad;
}

// Reads the rule for the frame whose return address is `pc` from its module's .eh_frame, through .eh_frame_hdr's
// sorted table. Anything unexpected gives TT_RULE_GIVE_UP: backtrace(3) then reads that creation's stack.
static struct tt_frame_rule tt_compute_rule(uintptr_t pc) {
    struct tt_frame_rule rule = {TT_RULE_GIVE_UP, 0, 0, 0, 0, 0};
    uintptr_t target = pc - 1; // inside the call instruction: the caller's rules there
    const uint8_t *hdr = NULL;
    if (!tt_module_of(target, &hdr)) {
        rule.kind = TT_RULE_LAST; // in no module: jitted code. backtrace(3) reports it and stops there too.
        return rule;
    }
    if (!hdr || hdr[0] != 1 || hdr[3] != 0x3b) return rule; // version 1, table of datarel sdata4 pairs
    struct tt_reader r = {hdr + 4, hdr + 4 + 16, 0};
    tt_encoded(&r, hdr[1], (uintptr_t)hdr);
    uint64_t count = tt_encoded(&r, hdr[2], (uintptr_t)hdr);
    if (r.bad || hdr[2] == 0xff || count == 0 || count > (1u << 24)) return rule;
    const int32_t *table = (const int32_t *)r.p;
    uint64_t lo = 0, hi = count;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)hdr + (intptr_t)table[2 * mid] <= target) lo = mid; else hi = mid;
    }
    if ((uintptr_t)hdr + (intptr_t)table[2 * lo] > target) {
        rule.kind = TT_RULE_LAST; // before the first function described: no rules (libgcc stops as well)
        return rule;
    }
    const uint8_t *fde = hdr + table[2 * lo + 1];
    uint32_t fde_len;
    memcpy(&fde_len, fde, 4);
    if (fde_len == 0 || fde_len == 0xffffffffu) return rule;
    int32_t cie_delta;
    memcpy(&cie_delta, fde + 4, 4);
    const uint8_t *cie = fde + 4 - cie_delta;
    uint32_t cie_len;
    memcpy(&cie_len, cie, 4);
    if (cie_len == 0 || cie_len == 0xffffffffu) return rule;
    struct tt_reader c = {cie + 8, cie + 4 + cie_len, 0};
    uint8_t version = (uint8_t)tt_fixed(&c, 1);
    const char *aug = (const char *)c.p;
    size_t aug_len = strnlen(aug, (size_t)(c.end - c.p));
    c.p += aug_len + 1;
    if (c.p > c.end || (version != 1 && version != 3) || (aug_len && aug[0] != 'z')) return rule;
    uint64_t code_align = tt_uleb(&c);
    int64_t data_align = tt_sleb(&c);
    int ra_reg = version == 1 ? (int)tt_fixed(&c, 1) : (int)tt_uleb(&c);
    uint8_t fde_enc = 0;
    if (aug_len) {
        uint64_t len = tt_uleb(&c);
        const uint8_t *aug_end = c.p + len;
        if (c.bad || aug_end > c.end) return rule;
        for (size_t i = 1; i < aug_len; i++) {
            if (aug[i] == 'R') fde_enc = (uint8_t)tt_fixed(&c, 1);
            else if (aug[i] == 'L') tt_fixed(&c, 1);
            else if (aug[i] == 'P') {
                uint8_t penc = (uint8_t)tt_fixed(&c, 1);
                tt_encoded(&c, penc & 0x7f, 0); // skipped, never followed
            } else return rule; // 'S' (a signal frame) and anything newer
        }
        c.p = aug_end;
    }
    if (c.bad || ra_reg != 16) return rule;
    struct tt_cfa_state state = {7, 8, TT_SAME, TT_UNDEFINED, 0, 0};
    if (!tt_run_cfa(&c, &state, NULL, code_align, data_align, ra_reg, 0, 0, 0)) return rule;
    struct tt_cfa_state initial = state;

    struct tt_reader f = {fde + 8, fde + 4 + fde_len, 0};
    uintptr_t begin = tt_encoded(&f, fde_enc, 0);
    uintptr_t range = tt_encoded(&f, fde_enc & 0x0f, 0);
    if (f.bad || target < begin || target - begin >= range) {
        rule.kind = f.bad ? TT_RULE_GIVE_UP : TT_RULE_LAST; // in a gap between functions: no rules
        return rule;
    }
    if (aug_len) {
        uint64_t len = tt_uleb(&f);
        if (f.bad || len > (uint64_t)(f.end - f.p)) return rule;
        f.p += len;
    }
    if (!tt_run_cfa(&f, &state, &initial, code_align, data_align, ra_reg, begin, target, 1)) return rule;

    if (state.ra_how == TT_UNDEFINED) {
        rule.kind = TT_RULE_LAST; // the outermost frame (_start, clone's child): nothing called it
        return rule;
    }
    if ((state.cfa_reg != 7 && state.cfa_reg != 6) || state.ra_how != TT_AT || state.ra_offset % 8 != 0 ||
        state.ra_offset < -1024 || state.ra_offset > 1016 || state.rbp_how == TT_UNDEFINED ||
        (state.rbp_how == TT_AT && (state.rbp_offset < -32768 || state.rbp_offset > 32767)) ||
        state.cfa_offset < INT32_MIN || state.cfa_offset > INT32_MAX) {
        return rule;
    }
    rule.kind = TT_RULE_FRAME;
    rule.cfa_is_rbp = state.cfa_reg == 6;
    rule.cfa_offset = (int32_t)state.cfa_offset;
    rule.ra_offset = (int)state.ra_offset;
    rule.rbp_saved = state.rbp_how == TT_AT;
    rule.rbp_offset = (int)state.rbp_offset;
    return rule;
}

// The cached rule for `pc`, computed and published the first time. Two threads may compute the same one; both are
// right. A full neighbourhood is computed every time (still right, only slower).
static struct tt_frame_rule tt_rule_for(uintptr_t pc) {
    size_t h = (size_t)((pc * 0x9E3779B97F4A7C15ULL) >> 51) % TT_RULES;
    struct tt_rule_slot *free_slot = NULL;
    for (int probe = 0; probe < TT_RULE_PROBES; probe++) {
        struct tt_rule_slot *e = &tt_rules[(h + (size_t)probe) % TT_RULES];
        uintptr_t seen = atomic_load_explicit(&e->pc, memory_order_acquire);
        if (seen == pc) {
            uint64_t v = atomic_load_explicit(&e->rule, memory_order_acquire);
            if (v) return tt_unpack_rule(v);
            break; // being written by another thread: compute it here too
        }
        if (seen == 0) {
            free_slot = e;
            break;
        }
    }
    struct tt_frame_rule rule = tt_compute_rule(pc);
    if (free_slot) {
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&free_slot->pc, &expected, pc)) {
            atomic_store_explicit(&free_slot->rule, tt_pack_rule(&rule), memory_order_release);
        }
    }
    return rule;
}

// The creating thread's stack: [stack_lo, stack_hi). glibc keeps a thread's descriptor (what pthread_self points to)
// at the top of its stack block, above the stack, for stacks it allocates and for stacks given with
// pthread_attr_setstack alike; the main thread's stack ends at __libc_stack_end. Reads stay below that.
extern void *__libc_stack_end;

// Walks the stack from the caller of this function: out[0] is the return address into the function that called it
// (the hook's wrapper, as backtrace(3)'s frame 0 is), out[1] its caller's, and so on. Returns the number of frames, or
// -1 when a frame needs backtrace(3). Needs its own frame pointer: that is where the walk starts.
__attribute__((noinline, optimize("no-omit-frame-pointer"))) static int tt_unwind(void **out, int max, int is_main) {
    uintptr_t *fp = (uintptr_t *)__builtin_frame_address(0);
    uintptr_t rsp = (uintptr_t)fp + 16; // the caller's stack pointer once this function has returned
    uintptr_t rbp = fp[0];
    uintptr_t pc = fp[1];
    uintptr_t hi = is_main ? (uintptr_t)__libc_stack_end : (uintptr_t)pthread_self();
    if (hi <= rsp || hi - rsp > ((uintptr_t)1 << 30)) return -1; // not on the stack we know (a signal stack, a fiber)
    int n = 0;
    while (n < max) {
        if (pc == 0) break; // the outermost frame's caller, as backtrace(3) drops it
        out[n++] = (void *)pc;
        struct tt_frame_rule rule = tt_rule_for(pc);
        if (rule.kind == TT_RULE_LAST) break;
        if (rule.kind != TT_RULE_FRAME) return -1;
        uintptr_t cfa = (rule.cfa_is_rbp ? rbp : rsp) + (intptr_t)rule.cfa_offset;
        // The CFA is the caller's stack pointer: above ours, 8-aligned, and both saved slots on the stack.
        if (cfa <= rsp || cfa & 7 || cfa + (intptr_t)rule.ra_offset < rsp || cfa + (intptr_t)rule.ra_offset + 8 > hi) break;
        if (rule.rbp_saved) {
            uintptr_t at = cfa + (intptr_t)rule.rbp_offset;
            if (at < rsp || at + 8 > hi) break;
            rbp = *(const uintptr_t *)at;
        }
        pc = *(const uintptr_t *)(cfa + (intptr_t)rule.ra_offset);
        rsp = cfa;
    }
    return n;
}

// backtrace(3) from the same place: frame 0 is the return address into the caller of this function.
__attribute__((noinline)) static int tt_libgcc_stack(void **out, int max) {
    void *frames[TT_MAX_FRAMES + 1];
    int n = backtrace(frames, max + 1 > TT_MAX_FRAMES + 1 ? TT_MAX_FRAMES + 1 : max + 1);
    if (n <= 0) return 0;
    memcpy(out, frames + 1, (size_t)(n - 1) * sizeof(void *)); // frames[0] is this function
    return n - 1;
}

__attribute__((noinline)) static int tt_self_check_inner(int is_main, int *agree) {
    void *fast[TT_MAX_FRAMES], *slow[TT_MAX_FRAMES];
    int nf = tt_unwind(fast, TT_MAX_FRAMES, is_main);
    int ns = tt_libgcc_stack(slow, TT_MAX_FRAMES);
    // Both were called from here, one instruction apart: frame 0 differs, the callers must not.
    *agree = nf > 1 && nf == ns && memcmp(fast + 1, slow + 1, (size_t)(nf - 1) * sizeof(void *)) == 0;
    __asm__ volatile("" ::: "memory");
    return nf;
}

// TRACE_THREADS_PTHREAD_NO_FIND_OBJECT=1 takes the path of a glibc without _dl_find_object (for the tests).
static void tt_unwind_init(int is_main) {
#ifdef DLFO_STRUCT_HAS_EH_DBASE
    const char *no_find = getenv("TRACE_THREADS_PTHREAD_NO_FIND_OBJECT");
    if (!(no_find && *no_find == '1')) tt_find_object = (tt_find_object_fn)dlsym(RTLD_DEFAULT, "_dl_find_object");
#endif
    int agree = 0;
    tt_self_check_inner(is_main, &agree);
    tt_fast_unwind_ok = agree;
}
#endif
