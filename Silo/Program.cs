using VirtualIoT.Gateway;
using VirtualIoT.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddVirtualIoTSilo();
builder.AddVirtualIoTSiloOperations();
builder.Services.AddVirtualIoTGateway(builder.Configuration);

var app = builder.Build();
app.MapVirtualIoTSiloOperations();
app.MapVirtualIoTGateway();
app.Run();
