/*
 * The one place guest transports are listed (the host's list is registry.c).
 */
#include "guest_api.h"

extern const struct pg_transport pg_transport_basic, pg_transport_extended, pg_transport_ptcopy, pg_transport_ring;

static const struct pg_transport *const pg_transports[] = {
	&pg_transport_basic,
	&pg_transport_extended,
	&pg_transport_ptcopy,
	&pg_transport_ring,
};

const struct pg_transport *pg_transport_by_id(unsigned id)
{
	for (unsigned i = 0; i < sizeof(pg_transports) / sizeof(pg_transports[0]); i++)
		if (pg_transports[i]->id == id)
			return pg_transports[i];
	return 0;
}
