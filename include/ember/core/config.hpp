#pragma once
/// @file
/// @brief Version and the one portability macro ember needs: functions callable from host and device.

#define EMBER_VERSION_MAJOR 0
#define EMBER_VERSION_MINOR 1
#define EMBER_VERSION_PATCH 0

/// Marks a function usable from both CPU code and CUDA kernels (the Philox generator, the schedules).
#if defined(__CUDACC__)
#define EMBER_HOST_DEVICE __host__ __device__
#else
#define EMBER_HOST_DEVICE
#endif
