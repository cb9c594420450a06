/*
 * `pagegate camera`: the paravirtual camera scenario (see camera.c).
 */
#ifndef PG_CAMERA_H
#define PG_CAMERA_H

#include "../vmm-min/vm.h"

int camera_main(int argc, char **argv, const struct vm_config *cfg);

#endif
