//! A no_std consumer of `dml-engine`: defining `#[panic_handler]` here fails
//! with "duplicate lang item" if std is linked anywhere in the graph.
#![no_std]

use core::alloc::{GlobalAlloc, Layout};
use dml_engine::{call, CallContext, Contract, ContractAddresses, MemoryStorage};

struct NoAlloc;

unsafe impl GlobalAlloc for NoAlloc {
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: NoAlloc = NoAlloc;

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

/// Keeps the engine's entry point in the link.
#[no_mangle]
pub extern "C" fn dml_nostd_entry(data: *const u8, len: usize) -> usize {
    let calldata = unsafe { core::slice::from_raw_parts(data, len) };
    let mut storage = MemoryStorage::new();
    let ctx = CallContext::new(Default::default(), ContractAddresses::default(), 1, 1);
    match call(&mut storage, &ctx, Contract::Engine, calldata) {
        Ok(outcome) => outcome.output.len(),
        Err(_) => usize::MAX,
    }
}
