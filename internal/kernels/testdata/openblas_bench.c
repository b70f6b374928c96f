// openblas_bench times OpenBLAS cblas_sgemm on the shapes of BenchmarkSgemm,
// for comparing the Go assembly kernels with OpenBLAS on the same machine.
// OpenBLAS is never a dependency of lstmctl; this is a yardstick only.
//
//	apt-get install libopenblas-dev
//	gcc -O2 -o /tmp/openblas_bench testdata/openblas_bench.c -lopenblas
//	/tmp/openblas_bench 1    # 1 thread: GFLOP/s by process CPU time and by wall clock
//	/tmp/openblas_bench 2    # 2 threads: wall clock only is meaningful
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>

extern void openblas_set_num_threads(int);

static double seconds(clockid_t id) {
	struct timespec t;
	clock_gettime(id, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	openblas_set_num_threads(threads);
	struct {
		const char *name;
		int ta, tb, m, n, k;
	} s[] = {
		{"NN_128x256x64", 0, 0, 128, 256, 64},   {"NN_128x256x128", 0, 0, 128, 256, 128},
		{"NN_128x128x32", 0, 0, 128, 128, 32},   {"NN_5120x256x64", 0, 0, 5120, 256, 64},
		{"NN_16x256x64", 0, 0, 16, 256, 64},     {"NT_128x64x256", 0, 1, 128, 64, 256},
		{"NT_16x64x256", 0, 1, 16, 64, 256},     {"NT_128x128x512", 0, 1, 128, 128, 512},
		{"TN_64x256x5120", 1, 0, 64, 256, 5120}, {"TN_32x128x5120", 1, 0, 32, 128, 5120},
	};
	for (size_t q = 0; q < sizeof s / sizeof s[0]; q++) {
		int m = s[q].m, n = s[q].n, k = s[q].k;
		int lda = s[q].ta ? m : k, ldb = s[q].tb ? k : n;
		float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n),
		      *c = malloc(sizeof(float) * m * n);
		srand(1);
		for (long i = 0; i < (long)m * k; i++) a[i] = rand() / (float)RAND_MAX - 0.5f;
		for (long i = 0; i < (long)k * n; i++) b[i] = rand() / (float)RAND_MAX - 0.5f;
		double bestCPU = 0, bestWall = 0;
		for (int rep = 0; rep < 5; rep++) {
			long it = 0;
			double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID), w;
			do {
				cblas_sgemm(CblasRowMajor, s[q].ta ? CblasTrans : CblasNoTrans,
				            s[q].tb ? CblasTrans : CblasNoTrans, m, n, k, 1, a, lda, b, ldb, 0, c, n);
				it++;
			} while ((w = seconds(CLOCK_MONOTONIC) - w0) < 0.1);
			double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0, flop = 2.0 * m * n * k * it;
			if (flop / cpu > bestCPU) bestCPU = flop / cpu;
			if (flop / w > bestWall) bestWall = flop / w;
		}
		printf("%-16s openblas %d thread(s): %6.1f GFLOP/s wall, %6.1f cpu-GFLOP/s\n", s[q].name, threads,
		       bestWall / 1e9, bestCPU / 1e9);
		free(a);
		free(b);
		free(c);
	}
	return 0;
}
