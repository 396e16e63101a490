/* tun.c - open and configure a Linux TUN device (see Documentation/networking/tuntap
 * in the kernel). Entry points: tun_open, tun_open_with, tun_vnet_packet, tun_configure,
 * tun_is_up, tun_wait_running. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "tun.h"
#include "wire.h"

int tun_open_with(const char *name, bool offload)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), err = 0;
	int hdr = (int)sizeof(struct virtio_net_hdr);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		err = -errno;
	/* the kernel may hand us TCP segments of up to 64 KiB (TSO: one read instead of
	 * 45) and leave their checksum to us (TUN_F_CSUM) */
	if (!err && offload && (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
				ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int tun_open(const char *name)
{
	return tun_open_with(name, false);
}

/* A packet read with its virtio_net header: the IPv4 packet behind it, its checksums
 * completed where the kernel left them to us. Its length, or -1 if malformed. */
ssize_t tun_vnet_packet(uint8_t *buf, size_t len, uint8_t **pkt)
{
	struct virtio_net_hdr h;
	size_t hl = sizeof(h);

	if (len < hl + 20)
		return -1;
	memcpy(&h, buf, hl);
	*pkt = buf + hl;
	len -= hl;
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		size_t start = h.csum_start, at = start + h.csum_offset;
		if (at + 2 > len || start >= len)
			return -1;
		/* the field holds the pseudo-header's sum: the sum from csum_start, folded */
		uint16_t c = inet_fold(inet_sum(*pkt + start, len - start, 0));
		(*pkt)[at] = (uint8_t)(c >> 8);
		(*pkt)[at + 1] = (uint8_t)c;
	}
	if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE && len <= 65535) {
		/* one segment of many: its IPv4 header speaks for all of them */
		uint8_t *ip = *pkt;
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		if (ihl < 20 || ihl > len)
			return -1;
		ip[2] = (uint8_t)(len >> 8);
		ip[3] = (uint8_t)len;
		ip[10] = ip[11] = 0;
		uint16_t c = inet_fold(inet_sum(ip, ihl, 0));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
	return (ssize_t)len;
}

static int if_ioctl(int sock, unsigned long req, struct ifreq *ifr)
{
	return ioctl(sock, req, ifr) < 0 ? -errno : 0;
}

static void set_sin(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(addr) };

	memcpy(sa, &sin, sizeof(sin));
}

int tun_configure(const char *name, uint32_t addr, int prefix, int mtu)
{
	struct ifreq ifr;
	int err, sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sock < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	set_sin(&ifr.ifr_addr, addr);
	err = if_ioctl(sock, SIOCSIFADDR, &ifr);
	set_sin(&ifr.ifr_netmask, prefix ? ~0u << (32 - prefix) : 0);
	if (!err)
		err = if_ioctl(sock, SIOCSIFNETMASK, &ifr);
	ifr.ifr_mtu = mtu;
	if (!err)
		err = if_ioctl(sock, SIOCSIFMTU, &ifr);
	if (!err)
		err = if_ioctl(sock, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!err)
		err = if_ioctl(sock, SIOCSIFFLAGS, &ifr);
	close(sock);
	return err;
}

int tun_is_up(const char *name)
{
	struct ifreq ifr;
	int up, sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sock < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	up = ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	close(sock);
	return up;
}

/* Attaching to a device that exists (the labs make tun0 persistent) turns its carrier
 * on, but the kernel activates the queue behind it later, from its link-watch work (up
 * to a second): until then what the kernel sends to the device is dropped, a SYN-ACK
 * for instance. IFF_RUNNING appears when that work has run. Returns the ms waited,
 * or -1 if it did not appear within `max_ms`. */
int tun_wait_running(const char *name, int max_ms)
{
	struct ifreq ifr;
	struct timespec ms = { 0, 1000000 };
	int waited, sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sock < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	for (waited = 0; waited <= max_ms; waited++) {
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING))
			break;
		nanosleep(&ms, NULL);
	}
	close(sock);
	return waited > max_ms ? -1 : waited;
}
