/*
 * Binding the calling thread to one processing unit with hwloc (see pin.h).
 */
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pin.h"

int pin_current_thread(const char *spec, struct pin_info *out, char *err, size_t cap)
{
	hwloc_topology_t topo;
	hwloc_obj_t pu;
	unsigned v = hwloc_get_api_version();
	int npu, index, rc = 0;
	char *end;

	snprintf(out->hwloc_version, sizeof(out->hwloc_version), "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
	if (hwloc_topology_init(&topo) || hwloc_topology_load(topo)) {
		snprintf(err, cap, "hwloc cannot read this machine's topology");
		return -1;
	}
	if (hwloc_topology_export_synthetic(topo, out->topology, sizeof(out->topology), 0) < 0)
		snprintf(out->topology, sizeof(out->topology), "unavailable");
	npu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	snprintf(out->map, sizeof(out->map), "unpinned");
	if (strcmp(spec, "none")) {
		index = strcmp(spec, "auto") ? (int)strtol(spec, &end, 10) : npu - 1;
		pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)index);
		if ((strcmp(spec, "auto") && (*end || end == spec)) || index < 0 || !pu) {
			snprintf(err, cap, "--pin wants auto, none or a PU number below %d, not '%s'", npu, spec);
			rc = -1;
		} else if (hwloc_set_cpubind(topo, pu->cpuset, HWLOC_CPUBIND_THREAD)) {
			snprintf(err, cap, "hwloc could not bind the vCPU thread to PU#%d", index);
			rc = -1;
		} else {
			snprintf(out->map, sizeof(out->map), "vcpu0+main: PU#%u (of %d)", pu->os_index, npu);
		}
	}
	hwloc_topology_destroy(topo);
	return rc;
}
