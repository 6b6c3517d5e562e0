using Cctv.Functions.Hosting;

return await FunctionsCli.RunAsync(args);
