fn main() {
    println!("cargo:rerun-if-changed=csrc/longdouble.c");
    cc::Build::new().file("csrc/longdouble.c").warnings(true).warnings_into_errors(true).compile("tessera_longdouble");
}
