/* hook_stub.S — register-preserving entry and exit stubs for functions hooked by PROFTRACE_HOOKS.
 *
 * Why assembly: a static function compiled at -O2 may be called under a private convention
 * (gcc's -fipa-ra lets a caller keep values in registers the callee is known not to touch; .isra
 * and .constprop clones take arguments their own way). Nothing the shim runs around such a call
 * may change any register, the flags, or the SSE/AVX state, as seen by the function or its caller.
 *
 * How: the hooked entry jumps to thunk i (`push $i; jmp pt__hook_common`). The common stub saves
 * the flags, all 15 general registers and the whole extended state (xsavec when the CPU has it,
 * else xsave; xrstor reads either form back), and calls
 * pt__hook_enter(slot), where slot[0] is i and slot[1] the caller's return address. That function
 * records the entry, keeps the return address on a per-thread shadow stack, puts
 * pt__hook_exit_stub in its place and the trampoline in slot[0]. Everything is restored and `ret`
 * pops the trampoline address: the original function starts with the very registers and stack
 * (same rsp, same stack arguments) it would have had. Its `ret` lands in pt__hook_exit_stub, which
 * saves everything again, has pt__hook_exit(slot, rax) put the real return address into slot and
 * record the exit, restores everything and returns to the caller.
 * Cost of the scheme: while the hooked function runs, its return address on the stack is the exit
 * stub's (a stack unwound from inside it stops there). */
    .text

/* Thunks: 16 bytes each, thunk i at pt__hook_thunks + 16 * i. */
    .globl pt__hook_thunks
    .hidden pt__hook_thunks
    .p2align 4
pt__hook_thunks:
    .set i, 0
    .rept 64
    .p2align 4
    endbr64
    pushq $i
    jmp pt__hook_common
    .set i, i + 1
    .endr

/* Save flags, the 15 general registers and the extended state; %rbx points to the saved general
 * registers (rax at 112, flags at 120, the caller's slot at 128). */
.macro SAVE_ALL
    pushfq
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rbx
    sub pt__hook_xsize(%rip), %rsp
    and $-64, %rsp
    /* xrstor needs the header's reserved bytes zero; neither xsave nor xsavec writes them all */
    movq $0, 512(%rsp)
    movq $0, 520(%rsp)
    movq $0, 528(%rsp)
    movq $0, 536(%rsp)
    movq $0, 544(%rsp)
    movq $0, 552(%rsp)
    movq $0, 560(%rsp)
    movq $0, 568(%rsp)
    mov $-1, %eax
    mov $-1, %edx
    cmpb $0, pt__hook_xsavec(%rip)
    je 1f
    xsavec64 (%rsp) /* compacted, components in their initial state skipped: much cheaper */
    jmp 2f
1:  xsave64 (%rsp)
2:
.endm

.macro RESTORE_ALL
    mov $-1, %eax
    mov $-1, %edx
    xrstor64 (%rsp)
    mov %rbx, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    popfq
.endm

    .globl pt__hook_common
    .hidden pt__hook_common
    .type pt__hook_common, @function
pt__hook_common:
    SAVE_ALL
    lea 128(%rbx), %rdi
    call pt__hook_enter
    RESTORE_ALL
    ret /* to the trampoline that slot[0] now holds; rsp is the function's entry rsp again */
    .size pt__hook_common, . - pt__hook_common

    .globl pt__hook_exit_stub
    .hidden pt__hook_exit_stub
    .type pt__hook_exit_stub, @function
pt__hook_exit_stub:
    endbr64
    lea -8(%rsp), %rsp /* the slot for the real return address (lea: flags untouched) */
    SAVE_ALL
    lea 128(%rbx), %rdi
    mov 112(%rbx), %rsi
    call pt__hook_exit
    RESTORE_ALL
    ret
    .size pt__hook_exit_stub, . - pt__hook_exit_stub

    .section .note.GNU-stack, "", @progbits
