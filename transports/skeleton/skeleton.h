/*
 * ABI of the skeleton transport: the template for a new one.  Copy this folder to
 * transports/<name>/, pick an unused id below PG_MAX_TRANSPORTS, say here what the
 * doorbell's RDI, RSI and RCX carry, implement host.c and guest.c, then list the two
 * ops in transports/registry.c and transports/guest_registry.c and add the name to
 * TRANSPORTS in the Makefile.  The skeleton itself is built but not registered.
 */
#ifndef PG_SKELETON_H
#define PG_SKELETON_H

#define SKELETON_ID 7
#define SKELETON_MAX_BYTES 4096

#endif
