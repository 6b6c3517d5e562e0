using Cctv.Demo;

return await DemoCli.RunAsync(args);
