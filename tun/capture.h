/* capture.h - the stack's own capture file: pcapng by default, where a packet that
 * caused a state transition, a retransmission, and a packet the link's impairment
 * layer dropped, duplicated, delayed or corrupted carry a comment (tshark -Y
 * frame.comment, Wireshark's packet comments), and each packet its direction; or
 * classic pcap. Every packet is written and flushed as it passes, so `tcpdump -r`
 * reads the file while the program runs; a comment that comes after its packet
 * rewrites that last block in place. LINKTYPE_RAW: packets start at the IPv4 header.
 * Entry points: capture_open, capture_packet, capture_comment, capture_impair,
 * capture_close. */
#ifndef TUNTCP_CAPTURE_H
#define TUNTCP_CAPTURE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { CAPTURE_IN, CAPTURE_OUT };

struct capture {
	FILE *f;
	bool ng;                         /* pcapng, else classic pcap */
	long last_at;                    /* file offset of the last packet's block, -1: none */
	uint64_t last_wall, last_now;    /* its wall-clock time and the core's time */
	int last_dir;
	uint32_t last_len;
	char last_comment[1024];
	uint8_t last_pkt[65535];
	struct { uint32_t len; uint16_t id; char what[160]; } notes[8];  /* "in" impairments */
	int n_notes;                     /* ... waiting for their packet to reach the stack */
};

/* Creates `path`. 0 or -errno. */
int capture_open(struct capture *c, const char *path, bool pcapng);
/* A packet the stack sent or received; comment may be NULL. */
void capture_packet(struct capture *c, uint64_t wall_us, uint64_t core_now, int dir,
		    const uint8_t *pkt, size_t len, const char *comment);
/* Something the last packet caused, if it was received at this core time. */
void capture_comment(struct capture *c, uint64_t core_now, const char *text);
/* The impairment layer acted on a packet ("drop (loss 5%)", "dup (rule ...)"). */
void capture_impair(struct capture *c, uint64_t wall_us, int dir, const char *what,
		    const uint8_t *pkt, size_t len);
/* What is written so far, to the file (the last packet waits for its comments). */
void capture_flush(struct capture *c);
void capture_close(struct capture *c);

#endif
