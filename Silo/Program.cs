using VirtualIoT.Gateway;
using VirtualIoT.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddVirtualIoTSilo();
builder.Services.AddVirtualIoTGateway(builder.Configuration);

var app = builder.Build();
app.MapVirtualIoTGateway();
app.Run();
