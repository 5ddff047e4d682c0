// Horizontal sums shared by the amd64 kernels (dot, rows, sum). Each leaves
// the total in X0 lane 0 and uses X1/Y1 as scratch; lanes are added
// pairwise, so every kernel reduces in the same order.

// HSUM_Y0 adds the eight lanes of Y0 into X0 lane 0.
#define HSUM_Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VPERMILPS    $0x4e, X0, X1 \
	VADDPS       X1, X0, X0 \
	VPERMILPS    $0xb1, X0, X1 \
	VADDPS       X1, X0, X0

// HSUM_Z0 adds the sixteen lanes of Z0 into X0 lane 0.
#define HSUM_Z0 \
	VEXTRACTF64X4 $1, Z0, Y1 \
	VADDPS        Y1, Y0, Y0 \
	HSUM_Y0
