/* tun.c - open and configure a Linux TUN device (see Documentation/networking/tuntap
 * in the kernel). Entry points: tun_open, tun_configure, tun_is_up, tun_wait_running. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "tun.h"

int tun_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
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
