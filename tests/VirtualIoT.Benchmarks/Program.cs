using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(VirtualIoT.Benchmarks.SerializationBenchmarks).Assembly).Run(args);
