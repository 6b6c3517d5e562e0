using Cctv.EdgeRecorder.Commands;

return await EdgeCli.RunAsync(args);
