#include <mpi.h>
/* MPI's handles are macros over library globals in Open MPI, which Swift cannot import:
 * these give them to Swift as functions. */
static inline MPI_Comm air_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype air_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype air_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype air_mpi_long_long(void) { return MPI_LONG_LONG; }
static inline MPI_Op air_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Datatype air_mpi_int32(void) { return MPI_INT32_T; }
static inline void *air_mpi_in_place(void) { return MPI_IN_PLACE; }
