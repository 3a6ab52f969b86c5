fuzz::afl_main!(dequantize);
