/* sigill_where.c — LD_PRELOAD (or ld.so --preload) reporter for a program that dies of SIGILL:
   prints the faulting pc as object + offset (map it with objdump -d on the unstripped binary) and
   its bytes, then exits 99. Issue 12: where attnscope's AMX products fault on the GPU machine.
     cc -O2 -shared -fPIC tests/bench/sigill_where.c -o sigill_where.so -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ucontext.h>
static void on_ill(int sig, siginfo_t* info, void* uc) {
  Dl_info d; void* pc = (void*)((ucontext_t*)uc)->uc_mcontext.gregs[REG_RIP];
  char buf[512];
  if (dladdr(pc, &d))
    snprintf(buf, sizeof buf, "signal %d at %p = %s + 0x%lx (symbol %s); si_addr %p; code %d\n", sig, pc, d.dli_fname,
             (unsigned long)((char*)pc - (char*)d.dli_fbase), d.dli_sname ? d.dli_sname : "?", info->si_addr, info->si_code);
  else snprintf(buf, sizeof buf, "signal %d at %p (no dladdr)\n", sig, pc);
  write(2, buf, strlen(buf));
  unsigned char* p = (unsigned char*)pc; snprintf(buf, sizeof buf, "bytes: %02x %02x %02x %02x %02x %02x %02x %02x\n", p[0],p[1],p[2],p[3],p[4],p[5],p[6],p[7]); write(2, buf, strlen(buf));
  _exit(99);
}
__attribute__((constructor)) static void install(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = on_ill; sa.sa_flags = SA_SIGINFO; sigemptyset(&sa.sa_mask);
  sigaction(SIGILL, &sa, 0);
}
