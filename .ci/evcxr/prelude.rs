// CI prelude: make a panic fail the cell (evcxr otherwise reports "ok").
std::panic::set_hook(Box::new(|info| {
    println!("PANIC (the CI prelude ends the kernel): {info}");
    std::process::exit(101);
}));
