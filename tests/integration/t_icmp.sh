# ping 10.0.0.2 is answered by the stack's ICMP echo reply.
source "$(dirname "$0")/lib.sh"
net_up
start_tcpdump
start_stack echo-server
check "ping -c 3 10.0.0.2: 0% loss" bash -c "ping -c 3 -i 0.2 -W 2 10.0.0.2 | grep -q ' 0% packet loss'"
check "ping with a 1400-byte payload" bash -c "ping -c 1 -s 1400 -W 2 10.0.0.2 | grep -q ' 0% packet loss'"
stop_tcpdump
check "tcpdump saw echo replies from the stack" grep -q '10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo reply' "$T/tcpdump.txt"
check "every checksum the stack sent is correct" checksums_correct
finish
