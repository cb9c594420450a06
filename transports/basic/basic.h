/*
 * ABI of the basic transport (thesis model 1): the guest cuts its buffer into pieces of
 * at most BASIC_PIECE_BYTES and rings once per piece with RDI = the piece's guest-virtual
 * address and RSI = its length; RCX is unused.  The host translates the piece (one or two
 * pages) and copies it.
 */
#ifndef PG_BASIC_H
#define PG_BASIC_H

#define BASIC_ID 1
#define BASIC_PIECE_BYTES 4096

#endif
