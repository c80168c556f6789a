/* syscall.S — the interposed syscall(): every call goes straight to the kernel, as glibc's does,
 * with no stack frame of its own (a raw clone or vfork must find nothing of the shim on the stack);
 * only the numbers that can install a seccomp filter (seccomp, prctl) are shown to seccomp.c first,
 * with their arguments kept across that call. Errors come back as glibc's: -1 and errno. */
    .text
    .globl  syscall
    .type   syscall, @function
syscall:
    .cfi_startproc
    endbr64
    cmpq    $317, %rdi          /* SYS_seccomp */
    je      2f
    cmpq    $157, %rdi          /* SYS_prctl */
    je      2f
1:  movq    %rdi, %rax
    movq    %rsi, %rdi
    movq    %rdx, %rsi
    movq    %rcx, %rdx
    movq    %r8, %r10
    movq    %r9, %r8
    movq    8(%rsp), %r9
    syscall
    cmpq    $-4095, %rax
    jae     3f
    ret
2:  pushq   %rdi
    .cfi_adjust_cfa_offset 8
    pushq   %rsi
    .cfi_adjust_cfa_offset 8
    pushq   %rdx
    .cfi_adjust_cfa_offset 8
    pushq   %rcx
    .cfi_adjust_cfa_offset 8
    pushq   %r8
    .cfi_adjust_cfa_offset 8
    pushq   %r9
    .cfi_adjust_cfa_offset 8
    subq    $8, %rsp            /* 16-byte alignment for the call */
    .cfi_adjust_cfa_offset 8
    call    pt__syscall_seen    /* (nr, a0, a1, a2): rdi..rcx as they came */
    addq    $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq    %r9
    .cfi_adjust_cfa_offset -8
    popq    %r8
    .cfi_adjust_cfa_offset -8
    popq    %rcx
    .cfi_adjust_cfa_offset -8
    popq    %rdx
    .cfi_adjust_cfa_offset -8
    popq    %rsi
    .cfi_adjust_cfa_offset -8
    popq    %rdi
    .cfi_adjust_cfa_offset -8
    jmp     1b
3:  negq    %rax
    pushq   %rax                /* also aligns the stack for the call */
    .cfi_adjust_cfa_offset 8
    call    __errno_location@PLT
    popq    %rcx
    .cfi_adjust_cfa_offset -8
    movl    %ecx, (%rax)
    movq    $-1, %rax
    ret
    .cfi_endproc
    .size   syscall, .-syscall
    .section .note.GNU-stack,"",@progbits
