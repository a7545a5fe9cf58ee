#!/bin/sh
# In-container agent: runs /cmd/N.sh in order, leaving its output in /cmd/N.out and its exit
# status in /cmd/N.rc.  The host side writes the scripts into the bundle's rootfs.
n=1
echo ready >/cmd/ready
while :; do
	if [ -e /cmd/$n.sh ]; then
		sh /cmd/$n.sh >/cmd/$n.out 2>&1
		echo $? >/cmd/$n.rc.tmp
		mv /cmd/$n.rc.tmp /cmd/$n.rc
		n=$((n + 1))
	else
		usleep 50000
	fi
done
