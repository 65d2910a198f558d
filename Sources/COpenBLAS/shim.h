#include <cblas.h>
/* Not every cblas.h declares these; OpenBLAS always exports them. */
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);
/* Ends OpenBLAS's worker threads (they come back only if a call asks for more than one thread). */
extern int blas_thread_shutdown_(void);
