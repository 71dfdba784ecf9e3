#ifndef OFFLOAD_CLIBPQ_SHIM_H
#define OFFLOAD_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#include <poll.h>
#endif
