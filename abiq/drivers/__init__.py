"""Hypervisor drivers: one small interface, a simulator and libvirt."""
