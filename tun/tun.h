/* tun.h - the Linux TUN device: open it (IFF_TUN | IFF_NO_PI: whole IPv4 packets,
 * no extra header), give the kernel side an address and MTU and bring it up.
 * Nothing else: reading and writing are plain read(2)/write(2) on the fd. */
#ifndef TUNTCP_TUN_H
#define TUNTCP_TUN_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Create or attach to the device `name`. Returns the fd, or -errno. */
int tun_open(const char *name);
/* The same; with offload, every packet read or written starts with a struct
 * virtio_net_hdr (IFF_VNET_HDR), and the kernel may send TCP segments of up to 64 KiB
 * with their checksum left to us (TUN_F_TSO4, TUN_F_CSUM): tun_vnet_packet. */
int tun_open_with(const char *name, bool offload);
/* The IPv4 packet in what was read with a virtio_net header (*pkt points into buf),
 * its checksums completed: its length, or -1 if malformed. */
ssize_t tun_vnet_packet(uint8_t *buf, size_t len, uint8_t **pkt);
/* Kernel side address/prefix, MTU, up. Returns 0 or -errno (-EPERM without
 * CAP_NET_ADMIN: then the device must have been set up beforehand). */
int tun_configure(const char *name, uint32_t addr, int prefix, int mtu);
/* Is the device up with an address already (made with ip tuntap by an admin)? */
int tun_is_up(const char *name);
/* Wait until the kernel runs the device's queue (IFF_RUNNING). ms waited, or -1. */
int tun_wait_running(const char *name, int max_ms);

#endif
