/* tcp_sack.c - selective acknowledgments. As receiver (RFC 2018 4): the blocks an ACK
 * carries, first the piece the latest segment went to, then the others by how recently
 * they grew; before them a duplicate that arrived, as a D-SACK (RFC 2883). As sender:
 * the scoreboard of what the peer holds above SND.UNA (RFC 6675 3: Update), and from
 * it IsLost, SetPipe and NextSeg (RFC 6675 4) for loss recovery, which tcp_cc.c enters
 * and leaves and tcp_out.c sends. Nothing here sends or reads the clock.
 * Entry points: tcp_sack_init, tcp_sack_blocks, tcp_sack_note, tcp_sack_dup,
 * tcp_sack_update, tcp_sack_is_lost, tcp_sack_pipe, tcp_sack_next_seg, tcp_sack_skip. */
#include <string.h>
#include <stdlib.h>
#include "tcp_priv.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* RFC 2018 2: SACK is used only if both SYNs carried SACK-permitted. */
void tcp_sack_init(struct tcb *tcb, const struct seg *syn)
{
	tcb->sack.offer = tcb->sack.offer && syn->sack_ok;
	tcb->sack.ok = tcb->sack.offer;
}

/* ---- receiver: RFC 2018 4, RFC 2883 ---- */

/* The held piece (index in rcv.ooo) with byte `seq` in it, or -1. */
static int ooo_find(const struct tcb *tcb, uint32_t seq)
{
	for (int i = 0; i < tcb->rcv.n_ooo; i++)
		if (seq_in(seq, tcb->rcv.ooo[i].seq, tcb->rcv.ooo[i].end))
			return i;
	return -1;
}

/* Is piece p already named by one of the first n bytes in `at`? */
static bool piece_named(const struct tcb *tcb, const uint32_t *at, int n, int p)
{
	for (int i = 0; i < n; i++)
		if (ooo_find(tcb, at[i]) == p)
			return true;
	return false;
}

/* The memory of the pieces held (rcv.ooo, its first member), with their SACK order. */
static struct ooo_mem *ooo_mem(const struct tcb *tcb)
{
	return (struct ooo_mem *)tcb->rcv.ooo;
}

/* A segment was held past a hole at `seq`: its piece becomes the most recent
 * (RFC 2018 4: the first block names the piece the latest segment went to). Pieces
 * that are gone (delivered, cut by a FIN) or merged into another are forgotten. */
void tcp_sack_note(struct tcb *tcb, uint32_t seq)
{
	struct ooo_mem *m = ooo_mem(tcb);              /* there: the piece is held */
	uint32_t keep[TCP_OOO_RANGES];
	int n = 0, p;

	keep[n++] = seq;
	for (int i = 0; i < m->n_recent && n < TCP_OOO_RANGES; i++) {
		p = ooo_find(tcb, m->recent[i]);
		if (p >= 0 && !piece_named(tcb, keep, n, p))
			keep[n++] = m->recent[i];
	}
	memcpy(m->recent, keep, (size_t)n * sizeof(keep[0]));
	m->n_recent = n;
}

/* RFC 2883 4: a segment (or part of one) that was here already: its bytes go first
 * in the next ACK. Only the latest duplicate is kept. */
void tcp_sack_dup(struct tcb *tcb, uint32_t seq, uint32_t end)
{
	if (!tcb->sack.ok || !SEQ_LT(seq, end))
		return;
	tcb->sack.dsack = true;
	tcb->sack.dup = (struct range){ seq, end };
}

static void block_put(struct sack_block *out, int *n, const struct range *r)
{
	out[*n].start = r->seq;
	out[*n].end = r->end;
	(*n)++;
}

/* The blocks for the next ACK, at most `max`: a D-SACK first (RFC 2883 4), then the
 * piece it lies in, if any (RFC 2883 4 (2)), then the pieces held, most recent first
 * (RFC 2018 4: SHOULD report as many as fit; every piece is one we hold). */
int tcp_sack_blocks(const struct tcb *tcb, struct sack_block *out, int max)
{
	const struct ooo_mem *m = ooo_mem(tcb);        /* NULL: no piece held */
	uint32_t named[TCP_OOO_RANGES + 1];
	int n = 0, k = 0, p;

	if (!tcb->sack.ok || max <= 0)
		return 0;
	if (tcb->sack.dsack) {
		out[n++] = (struct sack_block){ tcb->sack.dup.seq, tcb->sack.dup.end };
		if ((p = ooo_find(tcb, tcb->sack.dup.seq)) >= 0 && n < max) {
			block_put(out, &n, &tcb->rcv.ooo[p]);
			named[k++] = tcb->sack.dup.seq;
		}
	}
	for (int i = 0; m && i < m->n_recent && n < max; i++) {
		p = ooo_find(tcb, m->recent[i]);
		if (p < 0 || piece_named(tcb, named, k, p))
			continue;
		block_put(out, &n, &tcb->rcv.ooo[p]);
		named[k++] = m->recent[i];
	}
	return n;
}

/* An ACK carried the blocks: a D-SACK is reported once (RFC 2883 4). */
void tcp_sack_sent(struct tcb *tcb)
{
	tcb->sack.dsack = false;
}

/* ---- sender: the scoreboard, RFC 6675 ---- */

static uint32_t sb_bytes(const struct tcb *tcb)
{
	uint32_t n = 0;

	for (int i = 0; i < tcb->sack.n_sb; i++)
		n += tcb->sack.sb[i].end - tcb->sack.sb[i].seq;
	return n;
}

/* Record [seq, end) as SACKed, merged with every range it overlaps or touches. With
 * the board full, a new range above all others is forgotten, else the highest is. */
static void sb_add(struct tcb *tcb, uint32_t seq, uint32_t end)
{
	if (!tcb->sack.sb && !(tcb->sack.sb = malloc(TCP_SACK_SCOREBOARD * sizeof(struct range))))
		return;                            /* no memory: later ACKs carry the blocks again */
	struct range *sb = tcb->sack.sb;
	int i = 0, j, n = tcb->sack.n_sb;

	while (i < n && SEQ_LT(sb[i].end, seq))
		i++;
	for (j = i; j < n && SEQ_LEQ(sb[j].seq, end); j++) {
		if (SEQ_LT(sb[j].seq, seq))
			seq = sb[j].seq;
		if (SEQ_GT(sb[j].end, end))
			end = sb[j].end;
	}
	if (j == i && n == TCP_SACK_SCOREBOARD) {
		if (i == n)
			return;
		n = --tcb->sack.n_sb;              /* i < n: the highest goes, j == i stays */
	}
	memmove(&sb[i + 1], &sb[j], (size_t)(n - j) * sizeof(sb[0]));
	tcb->sack.n_sb = n + 1 - (j - i);
	sb[i] = (struct range){ seq, end };
}

/* Ranges at or below SND.UNA leave the board; one that straddles it is cut. */
static void sb_prune(struct tcb *tcb, uint32_t una)
{
	int i = 0;

	while (i < tcb->sack.n_sb && SEQ_LEQ(tcb->sack.sb[i].end, una))
		i++;
	if (i == tcb->sack.n_sb) {
		tcp_sack_free(tcb);                /* all acknowledged: the board empties */
		return;
	}
	tcb->sack.n_sb -= i;
	memmove(&tcb->sack.sb[0], &tcb->sack.sb[i], (size_t)tcb->sack.n_sb * sizeof(tcb->sack.sb[0]));
	if (SEQ_LT(tcb->sack.sb[0].seq, una))
		tcb->sack.sb[0].seq = una;
}

/* RFC 2883 4: the first block reports a duplicate if it lies below the cumulative
 * ACK or inside the second block. */
static bool is_dsack(const struct seg *sg)
{
	const struct sack_block *b = sg->sack;

	return SEQ_LEQ(b[0].end, sg->ack) ||
	       (sg->n_sack > 1 && SEQ_GEQ(b[0].start, b[1].start) && SEQ_LEQ(b[0].end, b[1].end));
}

/* RFC 6675 4 Update(): the blocks of an acceptable ACK go on the board (a block
 * below SND.UNA or past SND.MAX says nothing: ignored), and what the cumulative ACK
 * covers leaves it. Returns how many bytes were SACKed for the first time (RFC 6675
 * 2: an ACK that SACKs new data while data is outstanding is a duplicate ACK). */
uint32_t tcp_sack_update(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	uint32_t una = SEQ_GT(sg->ack, tcb->snd.una) ? sg->ack : tcb->snd.una;
	uint32_t before, after;
	int i = 0;

	if (sg->n_sack && is_dsack(sg)) {
		stat_inc(s, STAT_DSACK_RCVD);        /* we resent what the peer had (RFC 2883) */
		tcb->sack.dsacks_rcvd++;
		i = 1;
	}
	sb_prune(tcb, una);
	before = sb_bytes(tcb);
	for (; i < sg->n_sack; i++) {
		struct sack_block b = sg->sack[i];
		if (SEQ_LEQ(b.end, una) || SEQ_GT(b.end, tcb->snd.max))
			continue;
		sb_add(tcb, SEQ_LT(b.start, una) ? una : b.start, b.end);
	}
	after = sb_bytes(tcb);
	return after > before ? after - before : 0;
}

/* RFC 6675 4 IsLost(): a byte is lost when DupThresh ranges, or more than
 * (DupThresh - 1) * SMSS bytes, are SACKed above it. This is where that starts:
 * every byte below it that is not SACKed is lost (SND.UNA: none). */
static uint32_t sb_lost_end(const struct tcb *tcb)
{
	uint32_t bytes = 0;
	int k = 0;

	for (int i = tcb->sack.n_sb - 1; i >= 0; i--) {
		bytes += tcb->sack.sb[i].end - tcb->sack.sb[i].seq;
		if (++k >= TCP_DUPACK_THRESH || bytes > (TCP_DUPACK_THRESH - 1) * tcb->snd.mss)
			return tcb->sack.sb[i].seq;
	}
	return tcb->snd.una;
}

static bool sb_has(const struct tcb *tcb, uint32_t seq)
{
	for (int i = 0; i < tcb->sack.n_sb; i++)
		if (seq_in(seq, tcb->sack.sb[i].seq, tcb->sack.sb[i].end))
			return true;
	return false;
}

bool tcp_sack_is_lost(const struct tcb *tcb, uint32_t seq)
{
	if (tcb->rack.on)
		return tcp_rack_is_lost(tcb, seq);     /* RACK decides (tcp_rack.c) */
	return !sb_has(tcb, seq) && SEQ_LT(seq, sb_lost_end(tcb));
}

/* Bytes in [a, b) not SACKed. */
static uint32_t sb_holes(const struct tcb *tcb, uint32_t a, uint32_t b)
{
	uint32_t n;

	if (!SEQ_LT(a, b))
		return 0;
	n = b - a;
	for (int i = 0; i < tcb->sack.n_sb; i++) {
		uint32_t lo = SEQ_GT(tcb->sack.sb[i].seq, a) ? tcb->sack.sb[i].seq : a;
		uint32_t hi = SEQ_LT(tcb->sack.sb[i].end, b) ? tcb->sack.sb[i].end : b;
		if (SEQ_LT(lo, hi))
			n -= hi - lo;
	}
	return n;
}

/* RFC 6675 4 SetPipe(): the bytes still in the network. Each byte not SACKed counts
 * once if it is not lost, and once more if loss recovery resent it (below HighRxt). */
uint32_t tcp_sack_pipe(const struct tcb *tcb)
{
	uint32_t una = tcb->snd.una, max = tcb->snd.max;
	uint32_t rxt = SEQ_LT(tcb->sack.high_rxt, max) ? tcb->sack.high_rxt : max;

	if (tcb->rack.on)
		return tcp_rack_pipe(tcb);
	return sb_holes(tcb, sb_lost_end(tcb), max) + sb_holes(tcb, una, rxt);
}

/* The first byte at or after `seq` that is not SACKed; *hole_end: where the next
 * SACKed range starts (SND.MAX if none does). */
static uint32_t sb_first_hole(const struct tcb *tcb, uint32_t seq, uint32_t *hole_end)
{
	int i = 0;

	while (i < tcb->sack.n_sb && SEQ_LEQ(tcb->sack.sb[i].end, seq))
		i++;
	if (i < tcb->sack.n_sb && SEQ_LEQ(tcb->sack.sb[i].seq, seq))
		seq = tcb->sack.sb[i++].end;
	*hole_end = i < tcb->sack.n_sb ? tcb->sack.sb[i].seq : tcb->snd.max;
	return seq;
}

/* RFC 6675 4 NextSeg(): what loss recovery sends next. (1) the first hole above
 * HighRxt deemed lost; (2) else new data, when the caller says it may go; (3) else
 * the first hole above HighRxt below the highest SACKed byte; (4) the rescue
 * retransmission: not implemented (a lost tail waits for the RTO, or with RACK-TLP
 * for the probe). With RACK (as Linux): (1) is the first segment RACK deemed lost
 * and not yet resent, wherever it is (a lost retransmission too: it lies below
 * HighRxt); (3) is not used: a hole RACK has not deemed lost is waited for. */
enum sack_next tcp_sack_next_seg(const struct tcb *tcb, bool new_ok, uint32_t *seq,
				 uint32_t *len)
{
	uint32_t from = SEQ_GT(tcb->sack.high_rxt, tcb->snd.una) ? tcb->sack.high_rxt : tcb->snd.una;
	uint32_t end, s;
	bool has_sack = tcb->sack.n_sb > 0;

	if (tcb->rack.on && tcp_rack_first_lost(tcb, seq, len))
		return SACK_NEXT_LOST;
	if (tcb->rack.on)
		return new_ok ? SACK_NEXT_NEW : SACK_NEXT_NONE;
	s = sb_first_hole(tcb, from, &end);
	*seq = s;
	*len = SEQ_LT(s, end) ? MIN(end - s, tcb->snd.mss) : 0;
	if (*len && SEQ_LT(s, sb_lost_end(tcb)))
		return SACK_NEXT_LOST;
	if (new_ok)
		return SACK_NEXT_NEW;
	if (*len && has_sack && SEQ_LT(s, tcb->sack.sb[tcb->sack.n_sb - 1].seq))
		return SACK_NEXT_HOLE;
	return SACK_NEXT_NONE;
}

/* Going back after a timeout (RFC 6675 5.1: Update() goes on, so what the peer
 * SACKs since is not sent again): the first byte from `seq` not SACKed; *room: how
 * much from there is not SACKed either. */
uint32_t tcp_sack_skip(const struct tcb *tcb, uint32_t seq, uint32_t *room)
{
	uint32_t end, s = sb_first_hole(tcb, seq, &end);

	*room = tcb->sack.n_sb && SEQ_LT(s, end) && end != tcb->snd.max ? end - s : UINT32_MAX;
	return s;
}

/* RFC 2018 8: after a retransmission timeout the SACKed bits are turned off (the
 * receiver may have reneged); blocks in later ACKs fill the board again. */
void tcp_sack_clear(struct tcb *tcb)
{
	tcp_sack_free(tcb);
	tcb->sack.high_rxt = tcb->snd.una;
}

/* The scoreboard's memory goes back (the board is empty; tcb_free calls it too). */
void tcp_sack_free(struct tcb *tcb)
{
	free(tcb->sack.sb);
	tcb->sack.sb = NULL;
	tcb->sack.n_sb = 0;
}
