using Microsoft.Extensions.Options;
using VirtualIoT;
using VirtualIoT.Gateway;
using VirtualIoT.Grains;
using VirtualIoT.Silo;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddOptions<SiloHostOptions>()
    .Bind(builder.Configuration.GetSection(SiloHostOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
var hostOptions = builder.Configuration.GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>() ?? new SiloHostOptions();

builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering(hostOptions.SiloPort, hostOptions.GatewayPort);
    silo.AddMemoryGrainStorage(GrainStorageNames.Resources);
    silo.AddVirtualIoTGrains(builder.Configuration);
});

builder.Services.AddVirtualIoTGateway(builder.Configuration);

var app = builder.Build();
app.MapVirtualIoTGateway();
app.Run();
