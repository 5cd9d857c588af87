# Guest setup, run by guestinit as: sh -c SCRIPT setup KDIR
# Loads the modules every rig test may need and creates the interfaces.
set -u
kdir=$1
ver=$(uname -r)
# Kernel helpers (crypto and protocol auto-loading) call this modprobe.
cat > /run/fg-modprobe <<EOS
#!/bin/sh
exec /sbin/modprobe -d $kdir "\$@"
EOS
chmod 755 /run/fg-modprobe
echo /run/fg-modprobe > /proc/sys/kernel/modprobe
mp() { /sbin/modprobe -d "$kdir" "$@"; }
fail=0
mods="can can_raw can_bcm can_isotp can_j1939 can_gw can_dev vcan vxcan sja1000 kvaser_pci
	af_alg algif_hash algif_skcipher algif_aead algif_rng
	tipc bluetooth hci_vhci vsock vsock_loopback vsock_diag veth rds rds_tcp qrtr
	ctr xts ecb gcm ccm chacha20poly1305 drbg"
# One modprobe for all (each exec is slow under TCG); report what is missing.
mp -a $mods 2>/tmp/modprobe.err || true
for m in $mods; do
	[ -e /sys/module/$m ] || { echo "hil: module $m not loaded: $(cat /tmp/modprobe.err)"; fail=1; }
done
ip link set lo up
ip link add vcan0 type vcan && ip link add vcan1 type vcan &&
	ip link set vcan0 up && ip link set vcan1 up || fail=1
ip link add vxcan0 type vxcan peer name vxcan1 &&
	ip link set vxcan0 up && ip link set vxcan1 up || fail=1
for c in can0 can1; do
	ip link set "$c" type can bitrate 500000 && ip link set "$c" up || { echo "hil: $c not configured"; fail=1; }
done
exit $fail
