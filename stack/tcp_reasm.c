/* tcp_reasm.c - reassembly (RFC 9293 3.10.7.4 seventh: segments past RCV.NXT are
 * held until the hole before them is filled). Their data waits in the free part
 * of the receive queue at its own offset from RCV.NXT, so the memory it takes is
 * the receive buffer the window already promised; a sorted list of at most
 * TCP_OOO_RANGES pieces says what is there, taken when the first piece arrives and
 * given back once none is held (tcp_reasm_release). Overlaps and duplicates merge, and
 * every byte reaches the user once, in order.
 * Entry points: tcp_reasm, tcp_reasm_cut, tcp_reasm_clear, tcp_reasm_release. */
#include <stdlib.h>
#include <string.h>
#include "tcp_priv.h"

/* Record [seq, end) in the sorted list, merged with every piece it overlaps or
 * touches. False when it is a new piece and the list is full. */
static bool ooo_add(struct tcb *tcb, uint32_t seq, uint32_t end)
{
	/* LAB impl-reassembly: BEGIN */
	int i = 0, j;

	while (i < tcb->rcv.n_ooo && SEQ_LT(tcb->rcv.ooo[i].end, seq))
		i++;                                 /* pieces wholly before it */
	for (j = i; j < tcb->rcv.n_ooo && SEQ_LEQ(tcb->rcv.ooo[j].seq, end); j++) {
		if (SEQ_LT(tcb->rcv.ooo[j].seq, seq))
			seq = tcb->rcv.ooo[j].seq;
		if (SEQ_GT(tcb->rcv.ooo[j].end, end))
			end = tcb->rcv.ooo[j].end;
	}
	if (j == i && tcb->rcv.n_ooo == TCP_OOO_RANGES)
		return false;
	memmove(&tcb->rcv.ooo[i + 1], &tcb->rcv.ooo[j],
		(size_t)(tcb->rcv.n_ooo - j) * sizeof(tcb->rcv.ooo[0]));
	tcb->rcv.n_ooo += 1 - (j - i);
	tcb->rcv.ooo[i] = (struct range){ seq, end };
	return true;
	/* LAB impl-reassembly: END */
}

/* RCV.NXT moves to `end`, and on over every piece that now touches it: those
 * bytes become in-order data. RCV.NXT never passes what the buffer holds. */
static void reasm_advance(struct stack *s, struct tcb *tcb, uint32_t end)
{
	/* LAB impl-reassembly: BEGIN */
	int i = 0;

	for (; i < tcb->rcv.n_ooo && SEQ_LEQ(tcb->rcv.ooo[i].seq, end); i++)
		if (SEQ_GT(tcb->rcv.ooo[i].end, end))
			end = tcb->rcv.ooo[i].end;
	if (!stack_invariant(s, ring_extend(&tcb->rcv.q, end - tcb->rcv.nxt),
			     "RCV.NXT stays within the data the receive buffer holds"))
		return;
	if (i > 0) {                                 /* (no list at all while none is held) */
		tcb->rcv.n_ooo -= i;
		memmove(&tcb->rcv.ooo[0], &tcb->rcv.ooo[i],
			(size_t)tcb->rcv.n_ooo * sizeof(tcb->rcv.ooo[0]));
	}
	tcb->sum.bytes_in += end - tcb->rcv.nxt;
	tcb->rcv.nxt = end;
	/* LAB impl-reassembly: END */
}

/* Is all of [seq, end) in one piece held already? */
static bool ooo_holds(const struct tcb *tcb, uint32_t seq, uint32_t end)
{
	for (int i = 0; i < tcb->rcv.n_ooo; i++)
		if (SEQ_LEQ(tcb->rcv.ooo[i].seq, seq) && SEQ_LEQ(end, tcb->rcv.ooo[i].end))
			return true;
	return false;
}

/* The list's memory, with room for the pieces' SACK order (struct ooo_mem, tcp_sack.c):
 * false without memory. */
static bool ooo_take(struct tcb *tcb)
{
	struct ooo_mem *m = malloc(sizeof(*m));

	if (!m)
		return false;
	m->n_recent = 0;
	tcb->rcv.ooo = m->piece;
	return true;
}

/* Take the trimmed segment's text [seq, seq+len), seq >= RCV.NXT, inside the
 * window. In order, it is delivered at once, with every piece it reaches; past a
 * hole, it is held as a piece. Returns 0, or STAT_DROP_TCP_OOO when it is past a
 * hole and TCP_OOO_RANGES pieces wait already (the peer sends it again). The text
 * always fits: the window it was trimmed to is buffer we have (an invariant). */
int tcp_reasm(struct stack *s, struct tcb *tcb, uint32_t seq, const uint8_t *data, uint32_t len)
{
	if (len == 0)
		return 0;
	if (tcb->rcv.q.cap && !tcb_ring_get(s, tcb, &tcb->rcv.q))
		return STAT_DROP_TCP_NOMEM;          /* its memory, on the first byte */
	if (seq != tcb->rcv.nxt && !tcb->rcv.ooo && !ooo_take(tcb))
		return STAT_DROP_TCP_NOMEM;          /* the list, on the first piece past a hole */
	if (!stack_invariant(s, ring_write_at(&tcb->rcv.q, seq - tcb->rcv.nxt, data, len),
			     "segment text fits the free receive buffer"))
		return STAT_DROP_INVARIANT;
	if (seq == tcb->rcv.nxt) {
		reasm_advance(s, tcb, seq + len);
		return 0;
	}
	if (ooo_holds(tcb, seq, seq + len))
		tcp_sack_dup(tcb, seq, seq + len);   /* held already: RFC 2883 4 (2) */
	if (!ooo_add(tcb, seq, seq + len))           /* past a hole: held (SHLD-31) */
		return STAT_DROP_TCP_OOO;
	tcp_sack_note(tcb, seq);                     /* its piece goes first (RFC 2018 4) */
	stat_inc(s, STAT_TCP_OOO_QUEUED);
	return 0;
}

/* The peer's FIN is at `fin`: nothing past it exists. Pieces are cut there. */
void tcp_reasm_cut(struct tcb *tcb, uint32_t fin)
{
	/* LAB impl-reassembly: BEGIN */
	while (tcb->rcv.n_ooo && !SEQ_LT(tcb->rcv.ooo[tcb->rcv.n_ooo - 1].seq, fin))
		tcb->rcv.n_ooo--;
	if (tcb->rcv.n_ooo && SEQ_GT(tcb->rcv.ooo[tcb->rcv.n_ooo - 1].end, fin))
		tcb->rcv.ooo[tcb->rcv.n_ooo - 1].end = fin;
	/* LAB impl-reassembly: END */
}

void tcp_reasm_clear(struct tcb *tcb)
{
	tcb->rcv.n_ooo = 0;
	tcb->rcv.fin_pending = false;
}

/* No piece held: the list's memory goes, and the SACK order with it (when the call
 * settles, tcb_rings_put). */
void tcp_reasm_release(struct tcb *tcb)
{
	if (tcb->rcv.n_ooo)
		return;
	free(tcb->rcv.ooo);
	tcb->rcv.ooo = NULL;
}
