/* vfork.S — the interposed vfork: record, then jump (not call) to the real vfork.
 *
 * The vfork child runs on its parent's stack until it execs or exits. A C wrapper would return
 * twice through one frame, which the parent then finds clobbered. Here nothing of the shim is on
 * the stack when the real vfork runs: pt__vfork_prepare records the event, marks the thread as
 * "maybe a vfork child", and returns the real vfork, which this code enters with the caller's
 * return address in place, exactly as if the caller had called it. */
    .text
    .globl  vfork
    .type   vfork, @function
vfork:
    .cfi_startproc
    endbr64
    subq    $8, %rsp            /* keep the stack 16-byte aligned for the call */
    .cfi_adjust_cfa_offset 8
    call    pt__vfork_prepare@PLT
    addq    $8, %rsp
    .cfi_adjust_cfa_offset -8
    jmp     *%rax
    .cfi_endproc
    .size   vfork, .-vfork
    .section .note.GNU-stack,"",@progbits
