/* tcp_reasm.c - reassembly (RFC 9293 3.10.7.4 seventh: segments past RCV.NXT are
 * held until the hole before them is filled). Their data waits in the free part
 * of the receive queue at its own offset from RCV.NXT, so the memory it takes is
 * the receive buffer the window already promised; a sorted list of at most
 * TCP_OOO_RANGES pieces says what is there. Overlaps and duplicates merge, and
 * every byte reaches the user once, in order. Entry points: tcp_reasm, tcp_reasm_clear. */
#include <string.h>
#include "tcp_priv.h"

/* Record [seq, end) in the sorted list, merged with every piece it overlaps or
 * touches. False when it is a new piece and the list is full. */
static bool ooo_add(struct tcb *tcb, uint32_t seq, uint32_t end)
{
	int i = 0, j;

	while (i < tcb->n_ooo && SEQ_LT(tcb->ooo[i].end, seq))
		i++;                                 /* pieces wholly before it */
	for (j = i; j < tcb->n_ooo && SEQ_LEQ(tcb->ooo[j].seq, end); j++) {
		if (SEQ_LT(tcb->ooo[j].seq, seq))
			seq = tcb->ooo[j].seq;
		if (SEQ_GT(tcb->ooo[j].end, end))
			end = tcb->ooo[j].end;
	}
	if (j == i && tcb->n_ooo == TCP_OOO_RANGES)
		return false;
	memmove(&tcb->ooo[i + 1], &tcb->ooo[j], (size_t)(tcb->n_ooo - j) * sizeof(tcb->ooo[0]));
	tcb->n_ooo += 1 - (j - i);
	tcb->ooo[i] = (struct range){ seq, end };
	return true;
}

/* Take the trimmed segment's text [seq, seq+len), seq >= RCV.NXT, inside the
 * window. When the first piece starts at RCV.NXT it becomes in-order data and
 * RCV.NXT moves past it. Returns 0, or STAT_DROP_TCP_OOO when no piece is free. */
int tcp_reasm(struct stack *s, struct tcb *tcb, uint32_t seq, const uint8_t *data, uint32_t len)
{
	uint32_t n;

	if (len == 0)
		return 0;
	if (seq == tcb->rcv_nxt && tcb->n_ooo == 0) {  /* the usual case: in order, no holes */
		ring_write_at(&tcb->rcvq, 0, data, len);
		ring_extend(&tcb->rcvq, len);
		tcb->rcv_nxt += len;
		return 0;
	}
	if (!ooo_add(tcb, seq, seq + len))
		return STAT_DROP_TCP_OOO;
	ring_write_at(&tcb->rcvq, seq - tcb->rcv_nxt, data, len);
	if (seq != tcb->rcv_nxt)
		stat_inc(s, STAT_TCP_OOO_QUEUED);
	if (tcb->ooo[0].seq != tcb->rcv_nxt)
		return 0;                            /* the hole is still there */
	n = tcb->ooo[0].end - tcb->rcv_nxt;
	ring_extend(&tcb->rcvq, n);
	tcb->rcv_nxt += n;
	tcb->n_ooo--;
	memmove(&tcb->ooo[0], &tcb->ooo[1], (size_t)tcb->n_ooo * sizeof(tcb->ooo[0]));
	return 0;
}

void tcp_reasm_clear(struct tcb *tcb)
{
	tcb->n_ooo = 0;
	tcb->fin_pending = false;
}
