/*
 * The one place host transports are listed.  A new transport adds its ops here (and its
 * guest half to guest_registry.c); nothing else in the engine changes.
 */
#include "transport.h"

extern const struct transport_ops transport_basic, transport_extended, transport_ptcopy, transport_ring;

const struct transport_ops *const transports[] = {
	&transport_basic,
	&transport_extended,
	&transport_ptcopy,
	&transport_ring,
	NULL,
};
